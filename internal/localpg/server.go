package localpg

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options configures Start.
type Options struct {
	// DataDir holds the cluster (DataDir/pgdata) and its log
	// (DataDir/postgres.log). It is created when missing. Required.
	DataDir string

	// Relocate lets Start keep the cluster under FallbackRoot instead of
	// DataDir when the server's user cannot reach DataDir (as root, the
	// server runs as "postgres", which cannot pass a 0700 checkout). Meant
	// for the default ./.spsync only; a directory someone chose is an error
	// instead. Server.DataDir says where the cluster went.
	Relocate bool

	// FallbackRoot replaces FallbackRoot (the constant) for Relocate; tests
	// use it to stay out of /var/lib.
	FallbackRoot string

	// Port is the TCP port on 127.0.0.1. Zero picks a free port, or reuses
	// the port of a server already running on DataDir.
	Port int

	// BinDir holds initdb, pg_ctl and postgres. Empty means FindBinDir.
	BinDir string

	// Ephemeral trades durability for speed (fsync off and friends) and
	// raises max_connections; for throwaway test servers only.
	Ephemeral bool

	// Log receives progress lines. Defaults to io.Discard.
	Log io.Writer
}

// Server is a running PostgreSQL server started by Start.
type Server struct {
	binDir  string
	place   placement
	pgData  string
	port    int
	cred    *syscall.Credential
	log     io.Writer
	adopted bool
}

// Start initializes the data directory when it holds no cluster yet and
// starts the server, waiting until it accepts connections. A server already
// running on it (left over from a crash, or the `worker run` an operator
// command shares) is adopted rather than started twice.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("localpg: DataDir is required")
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.FallbackRoot == "" {
		opts.FallbackRoot = FallbackRoot
	}
	binDir := opts.BinDir
	if binDir == "" {
		var err error
		if binDir, err = FindBinDir(); err != nil {
			return nil, err
		}
	}
	su, err := lookupServerUser()
	if err != nil {
		return nil, err
	}
	p, err := place(opts.DataDir, opts.Relocate, opts.FallbackRoot, su)
	if err != nil {
		return nil, err
	}
	s := &Server{binDir: binDir, place: p, pgData: filepath.Join(p.dir, "pgdata"), log: opts.Log}
	if su != nil {
		s.cred = su.cred
	}
	if p.movedFrom != "" {
		fmt.Fprintf(s.log, "localpg: %s; the cluster lives in %s instead\n", p.note(su.name), p.dir)
	}
	if err := makeDirs(p.dir, s.cred != nil); err != nil {
		return nil, err
	}
	if err := s.chown(p.dir); err != nil {
		return nil, err
	}

	if port, ok := s.runningPort(); ok {
		s.port, s.adopted = port, true
		fmt.Fprintf(s.log, "localpg: reusing the server already running on %s (port %d)\n", s.pgData, port)
		return s, nil
	}

	if _, err := os.Stat(filepath.Join(s.pgData, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(s.log, "localpg: initializing a new cluster in %s\n", s.pgData)
		if err := s.run(ctx, "initdb", "-D", s.pgData, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"); err != nil {
			return nil, err
		}
	}

	s.port = opts.Port
	if s.port == 0 {
		if s.port, err = freePort(); err != nil {
			return nil, err
		}
	}
	settings := []string{
		"-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + socketDir(p.dir),
	}
	if opts.Ephemeral {
		settings = append(settings, "-c", "fsync=off", "-c", "synchronous_commit=off",
			"-c", "full_page_writes=off", "-c", "max_connections=400", "-c", "shared_buffers=256MB")
	} else {
		settings = append(settings, "-c", "max_connections=200")
	}
	fmt.Fprintf(s.log, "localpg: starting PostgreSQL on 127.0.0.1:%d\n", s.port)
	if err := s.run(ctx, "pg_ctl", "start", "-D", s.pgData, "-w", "-t", "120",
		"-l", filepath.Join(p.dir, "postgres.log"), "-o", strings.Join(settings, " ")); err != nil {
		return nil, err
	}
	return s, nil
}

// URL is the connection string for database name on this server.
func (s *Server) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, database)
}

// Port is the TCP port the server listens on.
func (s *Server) Port() int { return s.port }

// DataDir is the absolute directory the cluster lives in: Options.DataDir,
// or a directory under the fallback root when Start relocated it.
func (s *Server) DataDir() string { return s.place.dir }

// MovedFrom is the absolute Options.DataDir when Start relocated the
// cluster (see Options.Relocate), and "" otherwise.
func (s *Server) MovedFrom() string { return s.place.movedFrom }

// Stop shuts the server down (fast mode: open transactions roll back). A
// server that Start adopted rather than started is left running.
func (s *Server) Stop() error {
	if s.adopted {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return s.run(ctx, "pg_ctl", "stop", "-D", s.pgData, "-m", "fast", "-w")
}

// run executes a server binary as the server's user. Output goes to a file
// rather than a pipe: pg_ctl's daemon child would otherwise hold the pipe
// open and make Wait hang.
func (s *Server) run(ctx context.Context, name string, args ...string) error {
	out, err := os.CreateTemp("", "localpg-*.log")
	if err != nil {
		return fmt.Errorf("localpg: %s: %w", name, err)
	}
	defer os.Remove(out.Name())
	defer out.Close()

	cmd := exec.CommandContext(ctx, filepath.Join(s.binDir, name), args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Dir = "/"
	// Own process group, so a Ctrl-C meant for the worker doesn't reach the
	// server before the worker has finished with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.cred}
	if err := cmd.Run(); err != nil {
		tail, _ := os.ReadFile(out.Name())
		return fmt.Errorf("localpg: %s %s: %w\n%s", name, args[0], err, lastLines(string(tail), 15))
	}
	return nil
}

// runningPort reports the port of a live server on pgData, read from
// postmaster.pid (line 4), when its process still exists.
func (s *Server) runningPort() (int, bool) {
	f, err := os.Open(filepath.Join(s.pgData, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) < 4 {
		return 0, false
	}
	pid, err1 := strconv.Atoi(strings.TrimSpace(lines[0]))
	port, err2 := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err1 != nil || err2 != nil {
		return 0, false
	}
	if err := syscall.Kill(pid, 0); err != nil {
		return 0, false
	}
	return port, true
}

func (s *Server) chown(dir string) error {
	if s.cred == nil {
		return nil
	}
	return filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(path, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			return fmt.Errorf("localpg: chown %s: %w", path, err)
		}
		return nil
	})
}

// serverUser is who runs the server when that is not the current user.
type serverUser struct {
	name string
	cred *syscall.Credential
}

// lookupServerUser is nil for an ordinary user, who runs the server as
// themselves, and an unprivileged user's identity when running as root,
// because initdb and postgres refuse root.
func lookupServerUser() (*serverUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("localpg: user %s has a non-numeric uid %q or gid %q", name, u.Uid, u.Gid)
		}
		return &serverUser{name: name, cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}, nil
	}
	return nil, errors.New("localpg: running as root and neither a 'postgres' nor a 'nobody' user exists to run the server as")
}

// socketDir keeps the Unix socket in the data dir when the path fits the
// 107-byte sun_path limit, and turns Unix sockets off otherwise (TCP only).
func socketDir(dataDir string) string {
	if len(dataDir)+len("/.s.PGSQL.65535") < 100 && !strings.ContainsAny(dataDir, " '\"") {
		return dataDir
	}
	return "''"
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("localpg: pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
