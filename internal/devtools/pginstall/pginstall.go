// Package pginstall gives a development machine PostgreSQL server binaries,
// so that `make run` and `make test` work on a fresh Debian-like machine
// with nothing but Go. It is development tooling: only
// internal/devtools/withpg uses it. The worker and migrate binaries only
// find binaries (localpg.FindBinDir), because a service must not run a
// package manager; a test in internal/devtools/packaging keeps this package
// out of them.
package pginstall

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/spsync/spsync/internal/localpg"
)

// Ensure returns the directory holding initdb, pg_ctl and postgres. When
// there are none, it installs the distribution's postgresql package first,
// provided it runs as root and apt-get exists; otherwise the error says
// what to install. Progress goes to w.
func Ensure(ctx context.Context, w io.Writer) (string, error) {
	return thisMachine.ensure(ctx, w)
}

// machine is what ensure needs from the system, so tests can play one
// without binaries, root or apt-get.
type machine struct {
	find     func() (string, error)
	euid     func() int
	lookPath func(string) (string, error)
	run      func(ctx context.Context, w io.Writer, name string, args ...string) error
}

var thisMachine = machine{
	find:     localpg.FindBinDir,
	euid:     os.Geteuid,
	lookPath: exec.LookPath,
	run: func(ctx context.Context, w io.Writer, name string, args ...string) error {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = w, w
		return cmd.Run()
	},
}

func (m machine) ensure(ctx context.Context, w io.Writer) (string, error) {
	dir, err := m.find()
	if err == nil || !errors.Is(err, localpg.ErrNoBinaries) {
		return dir, err
	}
	if m.euid() != 0 {
		return "", fmt.Errorf("pginstall: not root, so not installing: %w", err)
	}
	if _, lookErr := m.lookPath("apt-get"); lookErr != nil {
		return "", fmt.Errorf("pginstall: no apt-get to install with: %w", err)
	}
	fmt.Fprintln(w, "pginstall: no PostgreSQL server binaries found; installing the distribution package (apt-get install postgresql)")
	for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "postgresql"}} {
		if runErr := m.run(ctx, w, "apt-get", args...); runErr != nil {
			return "", fmt.Errorf("pginstall: apt-get %s: %w", strings.Join(args, " "), runErr)
		}
	}
	dir, err = m.find()
	if err != nil {
		return "", fmt.Errorf("pginstall: after installing postgresql: %w", err)
	}
	return dir, nil
}
