package localpg

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrNoBinaries is returned when no PostgreSQL server binaries can be found.
// It is one line naming both ways out, because the worker and migrate print
// it as their only output: this package finds binaries but never installs
// them (a service binary must not run a package manager; `make run` and
// `make test` install through the development tooling instead).
var ErrNoBinaries = errors.New("no PostgreSQL server binaries (initdb, pg_ctl, postgres) on PATH, via pg_config --bindir or under /usr/lib/postgresql/*/bin: install them (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL to a running server")

// binSearch is where FindBinDir looks; a variable so tests can search an
// empty machine.
type binSearch struct {
	lookPath func(string) (string, error)
	pgConfig func() (string, error)
	globs    []string
}

var defaultSearch = binSearch{
	lookPath: exec.LookPath,
	pgConfig: func() (string, error) {
		out, err := exec.Command("pg_config", "--bindir").Output()
		return strings.TrimSpace(string(out)), err
	},
	globs: []string{"/usr/lib/postgresql/*/bin"},
}

// FindBinDir returns the directory holding initdb, pg_ctl and postgres. It
// looks on PATH first (resolving symlinks, because Debian links the versioned
// binaries into /usr/local/bin), then asks pg_config, then takes the newest
// /usr/lib/postgresql/N/bin. It returns ErrNoBinaries when there are none.
func FindBinDir() (string, error) { return defaultSearch.find() }

func (s binSearch) find() (string, error) {
	if p, err := s.lookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil && hasServerBinaries(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
	}
	if dir, err := s.pgConfig(); err == nil && hasServerBinaries(dir) {
		return dir, nil
	}
	var dirs []string
	for _, g := range s.globs {
		m, _ := filepath.Glob(g)
		dirs = append(dirs, m...)
	}
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, dir := range dirs {
		if hasServerBinaries(dir) {
			return dir, nil
		}
	}
	return "", ErrNoBinaries
}

func hasServerBinaries(dir string) bool {
	if dir == "" {
		return false
	}
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
