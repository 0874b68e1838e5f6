// Package sharedtest finds, for tests, what spsync is checked against but
// does not ship: Amazon's OpenAPI models and Amazon's example responses, kept
// in ../shared beside the repository (the directory holding go.mod), not in
// it. A test reads them through ModelsDir or ExamplesDir instead of a path
// of one machine, so it finds them wherever the checkout is, and a clean
// clone without them skips, saying where it looked, except under CI=true,
// where ../shared is part of the checkout's surroundings and its absence
// fails the test.
package sharedtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// ModelsDir returns the directory of Amazon's OpenAPI models holding file
// (ordersV0.json, OrderChangeNotification.json, …): $SPSYNC_AMAZON_MODELS,
// or ../shared/amazon-models beside the repository.
func ModelsDir(t testing.TB, file string) string {
	t.Helper()
	return dir(t, os.Getenv, "SPSYNC_AMAZON_MODELS", "amazon-models", file, "Amazon's models")
}

// ExamplesDir returns the directory of Amazon's example responses holding
// file (a path under it, README.md for the whole corpus):
// $SPSYNC_AMAZON_EXAMPLES, or ../shared/amazon-examples beside the
// repository.
func ExamplesDir(t testing.TB, file string) string {
	t.Helper()
	return dir(t, os.Getenv, "SPSYNC_AMAZON_EXAMPLES", "amazon-examples", file, "Amazon's examples")
}

// dir is ModelsDir and ExamplesDir, reading the environment through getenv.
func dir(t testing.TB, getenv func(string) string, env, name, file, what string) string {
	t.Helper()
	d := getenv(env)
	if d == "" {
		root, err := repoRoot()
		if err != nil {
			t.Fatalf("sharedtest: %v", err)
		}
		d = filepath.Join(root, "..", "shared", name)
	}
	if _, err := os.Stat(filepath.Join(d, file)); err != nil {
		if getenv("CI") == "true" {
			t.Fatalf("%s are missing at %s (CI=true requires them beside the checkout, or %s): %v", what, d, env, err)
		}
		t.Skipf("%s are not at %s (set %s to point elsewhere): %v", what, d, env, err)
	}
	return d
}

// repoRoot is the nearest directory at or above the working directory (a
// test's package directory) that holds go.mod.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod at or above %s", wd)
		}
	}
}
