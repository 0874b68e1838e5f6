package main

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/spsync/spsync/internal/worker"
)

// hostView is where the person reading the start-up banner stands. The
// banner prints commands and URLs to copy, so they must work from there:
// inside a container the worker's own address (0.0.0.0:8080) and database
// host (a compose service name) mean nothing to the host's shell.
type hostView struct {
	// container is SPSYNC_CONTAINER: "" on a machine, "docker" in the image
	// (the Dockerfile sets it), "compose" under docker-compose.yml.
	container string
	// published is SPSYNC_PUBLISHED_ADDR: the host address the container's
	// HTTP port is published on, set next to the port mapping in
	// docker-compose.yml; "" when unknown.
	published string
	// command runs this binary again from the worker's working directory
	// (operator commands find the local database relative to it).
	command string
}

func hostViewFrom(getenv func(string) string, argv0 string) hostView {
	return hostView{
		container: strings.TrimSpace(getenv("SPSYNC_CONTAINER")),
		published: strings.TrimSpace(getenv("SPSYNC_PUBLISHED_ADDR")),
		command:   commandFor(argv0),
	}
}

// commandFor is how the reader runs this binary: as invoked (./bin/worker
// under make run), or through go run when it was built in go's cache.
func commandFor(argv0 string) string {
	if argv0 == "" || strings.Contains(argv0, "go-build") {
		return "go run ./cmd/worker"
	}
	return argv0
}

const ordersQuery = `SELECT order_status, count(*) FROM orders GROUP BY 1`

// httpBase is the HTTP server's base URL as the reader reaches it, or ""
// when a container's port is not known to be published.
func (v hostView) httpBase(listen string) string {
	if v.container != "" {
		if v.published == "" {
			return ""
		}
		return "http://" + v.published
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1" // all interfaces include loopback
	}
	return "http://" + net.JoinHostPort(host, port)
}

// writeOnceBanner is the one line of `worker run --once`.
func writeOnceBanner(w io.Writer, info worker.ReadyInfo, v hostView) {
	if base := v.httpBase(info.HTTPAddr); base != "" {
		fmt.Fprintf(w, "spsync worker: one round of every poller (health %s/healthz)\n", base)
		return
	}
	fmt.Fprintln(w, "spsync worker: one round of every poller")
}

// writeBanner tells the reader where to look once the worker runs.
func writeBanner(w io.Writer, info worker.ReadyInfo, v hostView) {
	source := "Amazon SP-API"
	if info.Simulated {
		source = "the built-in SP-API simulator (no credentials set)"
	}
	where := ""
	switch v.container {
	case "":
	case "compose":
		where = " in Docker Compose"
	default:
		where = " in a container"
	}
	fmt.Fprintf(w, "spsync worker running%s, syncing from %s\n", where, source)
	if v.container != "" {
		fmt.Fprintln(w, "From the host:")
	}

	if base := v.httpBase(info.HTTPAddr); base != "" {
		fmt.Fprintf(w, "  health:  %[1]s/healthz\n  jobs:    %[1]s/riverui/\n  metrics: %[1]s/metrics\n", base)
	} else {
		_, port, _ := net.SplitHostPort(info.HTTPAddr)
		fmt.Fprintf(w, "  http:    container port %s is not published: publish it (docker run -p 127.0.0.1:%[1]s:%[1]s) for /healthz, /riverui/ and /metrics\n", port)
	}

	switch v.container {
	case "":
		fmt.Fprintf(w, "  status:  %s status\n", v.command)
		fmt.Fprintf(w, "  data:    psql '%s' -c '%s'\n", info.DatabaseURL, ordersQuery)
		if info.DataDir != "" {
			fmt.Fprintf(w, "  pgdata:  %s", info.DataDir)
			if info.DataDirMovedFrom != "" {
				fmt.Fprintf(w, " (the server's user cannot reach %s)", info.DataDirMovedFrom)
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, "Ctrl-C stops it (running jobs finish first).")
	case "compose":
		fmt.Fprintln(w, "  status:  docker compose exec worker worker status")
		if service, user, db, ok := composeDatabase(info.DatabaseURL); ok {
			fmt.Fprintf(w, "  data:    docker compose exec %s psql -U %s -d %s -c '%s'\n", service, user, db, ordersQuery)
		} else {
			fmt.Fprintf(w, "  data:    psql '%s' -c '%s'\n", info.DatabaseURL, ordersQuery)
		}
		fmt.Fprintln(w, "docker compose stop worker stops it (running jobs finish first).")
	default:
		fmt.Fprintln(w, "  status:  docker exec CONTAINER worker status")
		fmt.Fprintf(w, "  data:    psql '%s' (as the container reaches it)\n", info.DatabaseURL)
		fmt.Fprintln(w, "docker stop -t 45 CONTAINER stops it (running jobs get up to 30 s to finish).")
	}
}

// composeDatabase reads a database URL whose host is a bare name (a compose
// service, resolvable only on the compose network) as the service to exec
// psql in, with its user and database.
func composeDatabase(dbURL string) (service, user, db string, ok bool) {
	u, err := url.Parse(dbURL)
	if err != nil || u.User == nil {
		return "", "", "", false
	}
	host := u.Hostname()
	if host == "" || host == "localhost" || strings.Contains(host, ".") || net.ParseIP(host) != nil {
		return "", "", "", false
	}
	db = strings.TrimPrefix(u.Path, "/")
	if db == "" {
		db = u.User.Username()
	}
	return host, u.User.Username(), db, true
}
