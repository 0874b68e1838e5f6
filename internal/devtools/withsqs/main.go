// Command withsqs is development tooling: it runs a command with a local
// SQS-compatible server (fauxqs, installed from tools/fauxqs's lockfile on
// first use; Node.js >= 20) and SPSYNC_SQS_ENDPOINT pointing at it. `make
// run` uses it when SPSYNC_SIM_PUSH=true, so the worker, which installs and
// starts nothing itself, runs the whole push path on one machine.
//
//	go run ./internal/devtools/withsqs -- ./bin/worker run
//
// It stops the server when the command exits; the exit code is the
// command's.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/spsync/spsync/internal/devtools/fauxqs"
)

const usage = "usage: withsqs -- COMMAND [ARGS...]   run COMMAND with SPSYNC_SQS_ENDPOINT at a local SQS server\n"

func main() {
	os.Exit(run())
}

func run() int {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	root, err := fauxqs.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "withsqs: run it from the spsync checkout:", err)
		return 1
	}
	endpoint, stopSQS, err := fauxqs.Launch(ctx, root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "withsqs: start fauxqs:", err)
		return 1
	}
	defer stopSQS()
	fmt.Fprintf(os.Stderr, "withsqs: SPSYNC_SQS_ENDPOINT=%s (fauxqs)\n", endpoint)

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "SPSYNC_SQS_ENDPOINT="+endpoint)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "withsqs:", err)
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
		fmt.Fprintln(os.Stderr, "withsqs:", err)
		return 1
	}
	return 0
}
