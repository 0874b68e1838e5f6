// Command modelrules rewrites the simulator's rule table
// (internal/sim/modelrules_gen.go) from Amazon's models in
// ../shared/amazon-models, beside the repository:
//
//	go run ./internal/devtools/modelrules
//	make generate-modelrules
//
// -models and -out override the two paths. It is development tooling and
// not shipped; the simulator's tests regenerate the table and fail when the
// committed file differs (see rulegen).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spsync/spsync/internal/devtools/modelrules/rulegen"
)

func main() {
	models := flag.String("models", "", "directory of Amazon's models (default ../shared/amazon-models beside the repository)")
	out := flag.String("out", "", "file to write (default internal/sim/modelrules_gen.go in the repository)")
	flag.Parse()
	if err := run(*models, *out); err != nil {
		fmt.Fprintln(os.Stderr, "modelrules:", err)
		os.Exit(1)
	}
}

func run(models, out string) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if models == "" {
		models = filepath.Join(root, "..", "shared", "amazon-models")
	}
	if out == "" {
		out = filepath.Join(root, "internal", "sim", "modelrules_gen.go")
	}
	src, err := rulegen.Generate(models, "sim", rulegen.Served)
	if err != nil {
		return fmt.Errorf("generate from %s: %w", models, err)
	}
	if err := os.WriteFile(out, src, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}

// repoRoot is the nearest directory above the working directory that holds
// go.mod.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no go.mod above %s", wd)
		}
	}
}
