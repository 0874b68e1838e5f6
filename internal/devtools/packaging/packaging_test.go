package packaging

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/spsync/spsync/internal/localpg"
)

const module = "github.com/spsync/spsync"

// repoRoot is the directory of the root module's go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module "+module+"\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod of %s above the test", module)
		dir = parent
	}
}

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), name))
	require.NoError(t, err)
	return string(b)
}

// TestDockerfileGoImageMatchesGoMod: the golang image sets
// GOTOOLCHAIN=local, so its Go must be go.mod's `go` version exactly: an
// older one refuses to build the module, a newer one builds the image with
// a toolchain `make test` never ran.
func TestDockerfileGoImageMatchesGoMod(t *testing.T) {
	t.Parallel()
	m := regexp.MustCompile(`(?m)^go\s+(\S+)\s*$`).FindStringSubmatch(readRepoFile(t, "go.mod"))
	require.NotNil(t, m, "go.mod has no go directive")
	goVersion := m[1]

	froms := regexp.MustCompile(`(?mi)^FROM\s+(?:--\S+\s+)*golang:(\S+)`).FindAllStringSubmatch(readRepoFile(t, "Dockerfile"), -1)
	require.NotEmpty(t, froms, "the Dockerfile builds FROM no golang image")
	for _, f := range froms {
		tag := f[1]
		version, _, _ := strings.Cut(tag, "-") // 1.26.8-bookworm
		require.Equal(t, goVersion, version, "Dockerfile FROM golang:%s: use golang:%s-<variant> to match go.mod's `go %s`", tag, goVersion, goVersion)
	}
}

// TestDockerignoreKeepsLocalStateOut: the build context must not carry the
// repository's history, built binaries, or the local Postgres cluster
// (large, live, and possibly owned by the postgres user).
func TestDockerignoreKeepsLocalStateOut(t *testing.T) {
	t.Parallel()
	listed := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(readRepoFile(t, ".dockerignore")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		require.False(t, strings.HasPrefix(line, "!"), ".dockerignore re-includes %q; the check below does not follow exceptions", line)
		listed[strings.Trim(line, "/")] = true
	}
	for _, want := range []string{".git", "bin", localpg.DefaultDataDir} {
		require.True(t, listed[want], ".dockerignore does not list %s", want)
	}
}

// TestComposeBannerHints: under compose the worker's banner prints
// SPSYNC_PUBLISHED_ADDR as where the host reaches it and `docker compose
// exec <database host> psql`, so the address must be the host side of the
// port mapping of SPSYNC_HTTP_ADDR's port, and the database host a service.
func TestComposeBannerHints(t *testing.T) {
	t.Parallel()
	var compose struct {
		Services map[string]struct {
			Environment map[string]string `yaml:"environment"`
			Ports       []string          `yaml:"ports"`
		} `yaml:"services"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(readRepoFile(t, "docker-compose.yml")), &compose))
	w, ok := compose.Services["worker"]
	require.True(t, ok, "the banner says `docker compose exec worker`: keep the service named worker")
	env := w.Environment
	require.Equal(t, "compose", env["SPSYNC_CONTAINER"])

	_, httpPort, err := net.SplitHostPort(env["SPSYNC_HTTP_ADDR"])
	require.NoError(t, err)
	var published []string
	for _, p := range w.Ports {
		// host_ip:host_port:container_port
		i := strings.LastIndex(p, ":")
		if i > 0 && p[i+1:] == httpPort {
			published = append(published, p[:i])
		}
	}
	require.Contains(t, published, env["SPSYNC_PUBLISHED_ADDR"], "SPSYNC_PUBLISHED_ADDR is not where ports: publishes container port %s", httpPort)

	m := regexp.MustCompile(`@([^:/]+)[:/]`).FindStringSubmatch(env["DATABASE_URL"])
	require.NotNil(t, m)
	_, ok = compose.Services[m[1]]
	require.True(t, ok, "DATABASE_URL's host %s is not a compose service", m[1])
}

// TestShippedBinariesLinkNoInstaller: the worker and migrate only find
// PostgreSQL binaries; installing them is development tooling's job
// (internal/devtools). go list -deps shows what the binaries link: no
// devtools package, and no package of this module that runs apt-get.
func TestShippedBinariesLinkNoInstaller(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{"\t"}}{{.Dir}}{{"\t"}}{{join .GoFiles ","}}`, "./cmd/worker", "./cmd/migrate")
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	var stderr string
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = string(ee.Stderr)
	}
	require.NoError(t, err, stderr)

	aptGet := regexp.MustCompile(`"(apt-get|apt|dpkg|yum|dnf|apk)"`)
	var own int
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Split(line, "\t")
		require.Len(t, fields, 3, line)
		pkg, dir, files := fields[0], fields[1], fields[2]
		require.False(t, strings.HasPrefix(pkg, module+"/internal/devtools"), "a shipped binary links %s", pkg)
		if pkg != module && !strings.HasPrefix(pkg, module+"/") {
			continue
		}
		own++
		for _, f := range strings.Split(files, ",") {
			b, err := os.ReadFile(filepath.Join(dir, f))
			require.NoError(t, err)
			require.Falsef(t, aptGet.Match(b), "%s/%s names a package manager as a command: shipped binaries must not install anything", pkg, f)
		}
	}
	require.Greater(t, own, 10, "go list -deps listed too few of this module's packages to mean anything")
}
