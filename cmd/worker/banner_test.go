package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/worker"
)

// TestBanner: every command and URL the start-up banner prints works from
// where its reader stands: the worker's own machine, or the host of the
// container it runs in (where 0.0.0.0:8080, `go run ./cmd/worker` and a
// compose service name as database host do not).
func TestBanner(t *testing.T) {
	t.Parallel()
	local := worker.ReadyInfo{
		HTTPAddr:    "127.0.0.1:8080",
		DatabaseURL: "postgres://postgres@127.0.0.1:41234/spsync?sslmode=disable",
		Simulated:   true,
		DataDir:     "/work/spsync/.spsync",
	}
	moved := local
	moved.DataDir, moved.DataDirMovedFrom = "/var/lib/spsync/spsync-0123456789ab", "/tmp/tmp.X/spsync/.spsync"
	external := local
	external.DataDir, external.DatabaseURL, external.Simulated = "", "postgres://app@db.example.com:5432/spsync", false
	compose := worker.ReadyInfo{HTTPAddr: "[::]:8080", DatabaseURL: "postgres://spsync@postgres:5432/spsync", Simulated: true}

	for _, tc := range []struct {
		name    string
		info    worker.ReadyInfo
		env     map[string]string
		argv0   string
		want    []string
		notWant []string
	}{
		{name: "MakeRun", info: local, argv0: "./bin/worker", want: []string{
			"health:  http://127.0.0.1:8080/healthz",
			"jobs:    http://127.0.0.1:8080/riverui/",
			"status:  ./bin/worker status",
			"psql 'postgres://postgres@127.0.0.1:41234/spsync?sslmode=disable'",
			"pgdata:  /work/spsync/.spsync\n",
			"Ctrl-C stops it",
		}, notWant: []string{"docker", "cannot reach"}},
		{name: "GoRun", info: local, argv0: "/tmp/go-build123/b001/exe/worker", want: []string{"status:  go run ./cmd/worker status"}},
		{name: "RelocatedDataSaysWhereAndWhy", info: moved, argv0: "./bin/worker", want: []string{
			"pgdata:  /var/lib/spsync/spsync-0123456789ab (the server's user cannot reach /tmp/tmp.X/spsync/.spsync)",
		}},
		{name: "DatabaseURLHasNoDataDir", info: external, argv0: "worker", want: []string{
			"syncing from Amazon SP-API", "psql 'postgres://app@db.example.com:5432/spsync'",
		}, notWant: []string{"pgdata"}},
		{name: "AllInterfacesShownAsLoopback", info: worker.ReadyInfo{HTTPAddr: "[::]:9090", DatabaseURL: external.DatabaseURL}, argv0: "worker",
			want: []string{"health:  http://127.0.0.1:9090/healthz"}, notWant: []string{"[::]"}},
		{name: "Compose", info: compose, env: map[string]string{"SPSYNC_CONTAINER": "compose", "SPSYNC_PUBLISHED_ADDR": "127.0.0.1:8080"}, argv0: "/usr/local/bin/worker", want: []string{
			"running in Docker Compose",
			"From the host:",
			"health:  http://127.0.0.1:8080/healthz",
			"metrics: http://127.0.0.1:8080/metrics",
			"status:  docker compose exec worker worker status",
			"data:    docker compose exec postgres psql -U spsync -d spsync -c '",
			"docker compose stop worker",
		}, notWant: []string{"[::]", "0.0.0.0", "go run", "@postgres:", "Ctrl-C", "pgdata"}},
		{name: "ComposeWithAnExternalDatabase", info: worker.ReadyInfo{HTTPAddr: "[::]:8080", DatabaseURL: external.DatabaseURL},
			env: map[string]string{"SPSYNC_CONTAINER": "compose", "SPSYNC_PUBLISHED_ADDR": "127.0.0.1:8080"}, want: []string{
				"data:    psql 'postgres://app@db.example.com:5432/spsync'",
			}},
		{name: "PlainDockerUnpublished", info: compose, env: map[string]string{"SPSYNC_CONTAINER": "docker"}, want: []string{
			"running in a container",
			"container port 8080 is not published: publish it (docker run -p 127.0.0.1:8080:8080)",
			"status:  docker exec CONTAINER worker status",
		}, notWant: []string{"http://", "docker compose", "go run"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			writeBanner(&out, tc.info, hostViewFrom(envOf(tc.env), tc.argv0))
			for _, s := range tc.want {
				require.Contains(t, out.String(), s)
			}
			for _, s := range tc.notWant {
				require.NotContains(t, out.String(), s)
			}
		})
	}
}

func TestOnceBanner(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"Local", nil, "spsync worker: one round of every poller (health http://127.0.0.1:8080/healthz)\n"},
		{"ComposePublished", map[string]string{"SPSYNC_CONTAINER": "compose", "SPSYNC_PUBLISHED_ADDR": "127.0.0.1:18080"},
			"spsync worker: one round of every poller (health http://127.0.0.1:18080/healthz)\n"},
		{"ContainerUnpublished", map[string]string{"SPSYNC_CONTAINER": "docker"}, "spsync worker: one round of every poller\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			writeOnceBanner(&out, worker.ReadyInfo{HTTPAddr: "0.0.0.0:8080"}, hostViewFrom(envOf(tc.env), "worker"))
			require.Equal(t, tc.want, out.String())
			require.False(t, strings.Contains(out.String(), "0.0.0.0"))
		})
	}
}
