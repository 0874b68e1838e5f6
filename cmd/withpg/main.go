// Command withpg runs a command with a PostgreSQL server available, for `make
// test` and `make bench` on machines without a running server.
//
//	go run ./cmd/withpg -- go test ./...
//
// When TEST_DATABASE_URL or DATABASE_URL is set it runs the command as is.
// Otherwise it starts a throwaway server from the machine's binaries
// (installing the distribution package when there are none), exports
// TEST_DATABASE_URL for the command, and removes the server afterwards. The
// exit code is the command's.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/spsync/spsync/internal/localpg"
)

func main() {
	os.Exit(run())
}

func run() int {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: withpg -- COMMAND [ARGS...]")
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	env := os.Environ()
	if os.Getenv("TEST_DATABASE_URL") == "" && os.Getenv("DATABASE_URL") == "" {
		dir, err := os.MkdirTemp("", "spsync-testpg-*")
		if err != nil {
			fmt.Fprintln(os.Stderr, "withpg:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		srv, err := localpg.Start(ctx, localpg.Options{DataDir: dir, Ephemeral: true, Log: os.Stderr})
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
