package localpg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrNoBinaries is returned when no PostgreSQL server binaries can be found.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries (initdb, pg_ctl, postgres) found on PATH, via pg_config --bindir, or under /usr/lib/postgresql/*/bin")

// FindBinDir returns the directory holding initdb, pg_ctl and postgres. It
// looks on PATH first (resolving symlinks, because Debian links the versioned
// binaries into /usr/local/bin), then asks pg_config, then takes the newest
// /usr/lib/postgresql/N/bin.
func FindBinDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil && hasServerBinaries(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if hasServerBinaries(dir) {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, dir := range dirs {
		if hasServerBinaries(dir) {
			return dir, nil
		}
	}
	return "", ErrNoBinaries
}

// EnsureBinDir finds the server binaries and, when there are none and the
// process runs as root on a Debian-like system, installs the distribution's
// postgresql package first. Progress goes to w.
func EnsureBinDir(ctx context.Context, w io.Writer) (string, error) {
	dir, err := FindBinDir()
	if err == nil {
		return dir, nil
	}
	if os.Geteuid() != 0 {
		return "", fmt.Errorf("%w; install PostgreSQL (e.g. `sudo apt-get install postgresql`) or set DATABASE_URL", err)
	}
	if _, lookErr := exec.LookPath("apt-get"); lookErr != nil {
		return "", fmt.Errorf("%w; install PostgreSQL or set DATABASE_URL", err)
	}
	fmt.Fprintln(w, "localpg: no PostgreSQL binaries found; installing the distribution package (apt-get install postgresql)")
	for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "postgresql"}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = w, w
		if runErr := cmd.Run(); runErr != nil {
			return "", fmt.Errorf("apt-get %s: %w", strings.Join(args, " "), runErr)
		}
	}
	return FindBinDir()
}

func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() {
			return false
		}
	}
	return true
}

// versionOf extracts N from /usr/lib/postgresql/N/bin.
func versionOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}
