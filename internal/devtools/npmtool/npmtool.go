// Package npmtool installs and finds the Node.js tools spsync's tests run
// (fauxqs, Prism): each is an npm project under tools/ in the repository,
// pinned by its package-lock.json and installed there with `npm ci` when
// node_modules is missing. It is development tooling and is not shipped.
//
// A file lock in the project keeps two test processes (go test runs
// packages in parallel) from installing at once. Without node or npm on
// PATH a test fails under CI=true, where every test must run, and skips
// elsewhere, saying why (Require).
package npmtool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// ErrNoNode reports that node or npm is not on PATH.
var ErrNoNode = errors.New("node and npm are not on PATH (Node >= 20)")

// RepoRoot walks up from the working directory to the directory holding
// go.mod.
func RepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod above %s", wd)
		}
		d = parent
	}
}

// Node returns the path of node, or ErrNoNode when node or npm is missing.
func Node() (string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", ErrNoNode
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", ErrNoNode
	}
	return node, nil
}

// Install runs `npm ci` in project (a directory holding package.json and
// package-lock.json) unless marker, a file the installed package provides,
// exists. It holds an exclusive lock on project/.install.lock meanwhile, so
// parallel test processes install once.
func Install(ctx context.Context, project, marker string) error {
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	if _, err := Node(); err != nil {
		return err
	}
	lock, err := os.OpenFile(filepath.Join(project, ".install.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("install lock in %s: %w", project, err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("install lock in %s: %w", project, err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing releases it too
	if _, err := os.Stat(marker); err == nil {
		return nil // another process installed it while we waited
	}
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = project
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm ci in %s: %w; output: %s", project, err, out.String())
	}
	return nil
}

// Require ends tb when err is ErrNoNode: it fails under CI=true, where the
// tests of tool must run, and skips elsewhere, naming what is skipped. Any
// other error fails tb; nil does nothing.
func Require(tb testing.TB, tool, skipped string, err error) {
	tb.Helper()
	switch {
	case err == nil:
	case errors.Is(err, ErrNoNode) && os.Getenv("CI") == "true":
		tb.Fatalf("%s: %v (CI=true: %s must run)", tool, err, skipped)
	case errors.Is(err, ErrNoNode):
		tb.Skipf("%s: %v: skipping %s", tool, err, skipped)
	default:
		tb.Fatalf("%s: %v", tool, err)
	}
}
