// Package pginstall gives a development machine the Debian packages that
// `make run` and `make test` need, so that both work on a fresh Debian-like
// machine with nothing but Go: PostgreSQL server binaries (Ensure), and the
// programs some tests run (EnsureTools, TestTools): promtool and
// prometheus for the alert rules and the live dashboard check, Chromium
// for River UI's browser check. It is development tooling: only
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

// A Tool is a program tests run and the Debian package that provides it.
type Tool struct {
	// Package is the Debian package to install.
	Package string
	// Commands are what must be on PATH for the tool to count as present;
	// an entry may list alternatives separated by "|" (any one will do).
	Commands []string
}

// TestTools are the programs tests need beyond Go and PostgreSQL. A test
// that needs one and does not find it fails under CI=true and skips
// elsewhere, so installing them is what makes those tests run.
var TestTools = []Tool{
	// internal/monitoring: promtool test rules / check config, and a real
	// Prometheus for the live dashboard check.
	{Package: "prometheus", Commands: []string{"promtool", "prometheus"}},
	// cmd/worker's River UI check in a headless browser (the names it
	// looks for).
	{Package: "chromium", Commands: []string{"chromium|chromium-browser|google-chrome"}},
}

// EnsureTools installs, in one apt-get run, the packages of the tools that
// are missing, provided it runs as root and apt-get exists; otherwise the
// error names the packages to install. Progress goes to w.
func EnsureTools(ctx context.Context, w io.Writer, tools []Tool) error {
	return thisMachine.ensureTools(ctx, w, tools)
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
	if err := m.aptInstall(ctx, w, err, "no PostgreSQL server binaries found", "postgresql"); err != nil {
		return "", err
	}
	dir, err = m.find()
	if err != nil {
		return "", fmt.Errorf("pginstall: after installing postgresql: %w", err)
	}
	return dir, nil
}

// errToolsMissing is the cause EnsureTools reports when it cannot install.
var errToolsMissing = errors.New("tests that need them skip (fail under CI=true)")

func (m machine) ensureTools(ctx context.Context, w io.Writer, tools []Tool) error {
	var missing, packages []string
	for _, t := range tools {
		if cmds := m.missingCommands(t); len(cmds) > 0 {
			missing = append(missing, cmds...)
			packages = append(packages, t.Package)
		}
	}
	if len(packages) == 0 {
		return nil
	}
	cause := fmt.Errorf("%s not found: apt-get install %s; %w", strings.Join(missing, ", "), strings.Join(packages, " "), errToolsMissing)
	if err := m.aptInstall(ctx, w, cause, strings.Join(missing, ", ")+" not found", packages...); err != nil {
		return err
	}
	var still []string
	for _, t := range tools {
		still = append(still, m.missingCommands(t)...)
	}
	if len(still) > 0 {
		return fmt.Errorf("pginstall: after installing %s, still not found: %s", strings.Join(packages, " "), strings.Join(still, ", "))
	}
	return nil
}

// missingCommands returns the tool's commands (an entry with alternatives
// as written) that are not on PATH.
func (m machine) missingCommands(t Tool) []string {
	var missing []string
	for _, entry := range t.Commands {
		found := false
		for _, name := range strings.Split(entry, "|") {
			if _, err := m.lookPath(name); err == nil {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, entry)
		}
	}
	return missing
}

// aptInstall installs packages with apt-get (update first), as root only.
// cause says what is missing and is wrapped into the error when it cannot
// install; why starts the progress line when it can.
func (m machine) aptInstall(ctx context.Context, w io.Writer, cause error, why string, packages ...string) error {
	if m.euid() != 0 {
		return fmt.Errorf("pginstall: not root, so not installing: %w", cause)
	}
	if _, lookErr := m.lookPath("apt-get"); lookErr != nil {
		return fmt.Errorf("pginstall: no apt-get to install with: %w", cause)
	}
	fmt.Fprintf(w, "pginstall: %s; installing the distribution packages (apt-get install %s)\n", why, strings.Join(packages, " "))
	install := append([]string{"install", "-y", "--no-install-recommends"}, packages...)
	for _, args := range [][]string{{"update"}, install} {
		if runErr := m.run(ctx, w, "apt-get", args...); runErr != nil {
			return fmt.Errorf("pginstall: apt-get %s: %w", strings.Join(args, " "), runErr)
		}
	}
	return nil
}
