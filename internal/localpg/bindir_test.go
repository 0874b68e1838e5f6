package localpg

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeBinDir makes a directory holding empty stand-ins for the server
// binaries (FindBinDir only checks that they exist).
func fakeBinDir(t *testing.T, dir string, names ...string) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, n := range names {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), nil, 0o755))
	}
	return dir
}

func TestFindBinDir(t *testing.T) {
	t.Parallel()
	all := []string{"initdb", "pg_ctl", "postgres"}
	notFound := func(string) (string, error) { return "", errors.New("not found") }
	noPgConfig := func() (string, error) { return "", errors.New("no pg_config") }

	for _, tc := range []struct {
		name string
		// setup builds the machine under root and returns the search and
		// the directory FindBinDir should answer ("" for ErrNoBinaries).
		setup func(t *testing.T, root string) (binSearch, string)
	}{
		{"NothingInstalled", func(t *testing.T, root string) (binSearch, string) {
			return binSearch{lookPath: notFound, pgConfig: noPgConfig, globs: []string{filepath.Join(root, "lib/postgresql/*/bin")}}, ""
		}},
		{"ClientOnlyIsNotEnough", func(t *testing.T, root string) (binSearch, string) {
			// psql and pg_ctl without initdb: Debian's postgresql-client.
			dir := fakeBinDir(t, filepath.Join(root, "lib/postgresql/15/bin"), "pg_ctl", "psql")
			return binSearch{lookPath: notFound, pgConfig: func() (string, error) { return dir, nil }, globs: []string{filepath.Join(root, "lib/postgresql/*/bin")}}, ""
		}},
		{"SymlinkOnPathIsResolved", func(t *testing.T, root string) (binSearch, string) {
			dir := fakeBinDir(t, filepath.Join(root, "lib/postgresql/15/bin"), all...)
			link := filepath.Join(root, "local/bin/pg_ctl")
			require.NoError(t, os.MkdirAll(filepath.Dir(link), 0o755))
			require.NoError(t, os.Symlink(filepath.Join(dir, "pg_ctl"), link))
			return binSearch{lookPath: func(string) (string, error) { return link, nil }, pgConfig: noPgConfig}, dir
		}},
		{"PgConfigBindir", func(t *testing.T, root string) (binSearch, string) {
			dir := fakeBinDir(t, filepath.Join(root, "opt/pg/bin"), all...)
			return binSearch{lookPath: notFound, pgConfig: func() (string, error) { return dir, nil }}, dir
		}},
		{"NewestVersionUnderLib", func(t *testing.T, root string) (binSearch, string) {
			fakeBinDir(t, filepath.Join(root, "lib/postgresql/9.6/bin"), all...)
			newest := fakeBinDir(t, filepath.Join(root, "lib/postgresql/16/bin"), all...)
			fakeBinDir(t, filepath.Join(root, "lib/postgresql/15/bin"), all...)
			return binSearch{lookPath: notFound, pgConfig: noPgConfig, globs: []string{filepath.Join(root, "lib/postgresql/*/bin")}}, newest
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			search, want := tc.setup(t, t.TempDir())
			got, err := search.find()
			if want != "" {
				require.NoError(t, err)
				require.Equal(t, want, got)
				return
			}
			require.ErrorIs(t, err, ErrNoBinaries)
		})
	}
}

// TestNoBinariesIsOneLineWithTheRemedy: the worker and migrate print this
// error as all they say when a machine has no server, so it must be one
// line that names what to do, and must not suggest anything is installed.
func TestNoBinariesIsOneLineWithTheRemedy(t *testing.T) {
	t.Parallel()
	msg := ErrNoBinaries.Error()
	require.NotContains(t, msg, "\n")
	require.Contains(t, msg, "apt-get install postgresql")
	require.Contains(t, msg, "DATABASE_URL")
	require.False(t, strings.Contains(msg, "installing"), msg)
}
