// Command withpg is development tooling: it runs a command with a
// PostgreSQL server available, for `make test`, `make bench` and `make
// reliability` on machines without a running server, and makes sure server
// binaries exist before `make run`. It lives outside cmd/ because it is not
// shipped, and it is the only place that installs PostgreSQL (see
// internal/devtools/pginstall).
//
//	go run ./internal/devtools/withpg -- go test ./...
//	go run ./internal/devtools/withpg -tools -- go test ./...
//	go run ./internal/devtools/withpg -binaries
//
// When TEST_DATABASE_URL or DATABASE_URL is set it runs the command as is.
// Otherwise it starts a throwaway server from the machine's binaries
// (installing the distribution package when there are none and it runs as
// root), exports TEST_DATABASE_URL for the command, and removes the server
// afterwards. The exit code is the command's.
//
// With -binaries it only makes sure the server binaries exist (installing
// them the same way) unless DATABASE_URL is set, and exits: `make run` calls
// it so that the worker, which never installs anything, finds them.
//
// With -tools it first makes sure the programs some tests run exist
// (pginstall.TestTools: promtool and prometheus, Chromium), installing the
// missing ones' packages the same way; `make test` passes it. When it
// cannot, it says what to install and runs the command anyway: those tests
// skip, or fail under CI=true.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/spsync/spsync/internal/devtools/pginstall"
	"github.com/spsync/spsync/internal/localpg"
)

const usage = `usage: withpg [-tools] -- COMMAND [ARGS...]   run COMMAND with TEST_DATABASE_URL set
       withpg -binaries                      make sure PostgreSQL server binaries exist
  -tools  first make sure the programs tests run (promtool, prometheus, chromium) exist
`

func main() {
	os.Exit(run())
}

func run() int {
	fs := flag.NewFlagSet("withpg", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(os.Stderr, usage) }
	binariesOnly := fs.Bool("binaries", false, "only make sure PostgreSQL server binaries exist, then exit")
	tools := fs.Bool("tools", false, "first make sure the programs tests run exist (installing their packages as root on Debian)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	args := fs.Args()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *tools {
		if err := pginstall.EnsureTools(ctx, os.Stderr, pginstall.TestTools); err != nil {
			// Not fatal: the tests that need a missing tool say so
			// themselves (skip, or fail under CI=true).
			fmt.Fprintln(os.Stderr, "withpg:", err)
		}
	}

	if *binariesOnly {
		if len(args) > 0 {
			fmt.Fprint(os.Stderr, usage)
			return 2
		}
		if os.Getenv("DATABASE_URL") != "" {
			return 0 // the worker will not start a local server
		}
		if _, err := pginstall.Ensure(ctx, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "withpg:", err)
			return 1
		}
		return 0
	}
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}

	env := os.Environ()
	if os.Getenv("TEST_DATABASE_URL") == "" && os.Getenv("DATABASE_URL") == "" {
		binDir, err := pginstall.Ensure(ctx, os.Stderr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "withpg:", err)
			return 1
		}
		// Under the system temp directory, which the server's user can
		// reach even when the checkout (a 0700 clone as root) is closed.
		dir, err := os.MkdirTemp("", "spsync-testpg-*")
		if err != nil {
			fmt.Fprintln(os.Stderr, "withpg:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		srv, err := localpg.Start(ctx, localpg.Options{DataDir: dir, BinDir: binDir, Ephemeral: true, Log: os.Stderr})
		if err != nil {
			fmt.Fprintln(os.Stderr, "withpg:", err)
			return 1
		}
		defer func() {
			if err := srv.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, "withpg: stop:", err)
			}
		}()
		env = append(env, "TEST_DATABASE_URL="+srv.URL("postgres"))
		fmt.Fprintf(os.Stderr, "withpg: TEST_DATABASE_URL=%s\n", srv.URL("postgres"))
	}

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "withpg:", err)
		return 1
	}
	go func() {
		<-ctx.Done()
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}()
	if err := cmd.Wait(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return exitErr.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "withpg:", err)
		return 1
	}
	return 0
}
