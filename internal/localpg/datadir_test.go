package localpg

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// openTempDir is a temporary directory anyone may pass (under /tmp, not
// t.TempDir's 0700 parent), for building paths with chosen permissions.
func openTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "localpg-test-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755)) // our own new directory
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// mkdirMode makes dir with exactly mode, whatever the umask.
func mkdirMode(t *testing.T, dir string, mode os.FileMode) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.Chmod(dir, mode))
	return dir
}

// A uid and gid nobody on the machine has: the files the test makes are
// ours, so they reach them only through the "other" bits.
const strangerID = 3_999_999

func TestFirstClosed(t *testing.T) {
	t.Parallel()
	myGid := uint32(os.Getgid())

	for _, tc := range []struct {
		name string
		// setup returns the path to check and, when closed, the directory
		// that closes it (relative to root).
		setup      func(t *testing.T, root string) string
		gid        uint32
		wantClosed string
	}{
		{"OpenPath", func(t *testing.T, root string) string {
			mkdirMode(t, filepath.Join(root, "clone"), 0o755)
			return filepath.Join(root, "clone/.spsync")
		}, strangerID, ""},
		{"ZeroSevenHundredClone", func(t *testing.T, root string) string {
			// mktemp -d: 0700, and the clone inside it open.
			mkdirMode(t, filepath.Join(root, "tmp.X"), 0o700)
			mkdirMode(t, filepath.Join(root, "tmp.X/spsync"), 0o755)
			return filepath.Join(root, "tmp.X/spsync/.spsync")
		}, strangerID, "tmp.X"},
		{"SearchOnlyIsEnough", func(t *testing.T, root string) string {
			mkdirMode(t, filepath.Join(root, "home"), 0o711)
			return filepath.Join(root, "home/.spsync")
		}, strangerID, ""},
		{"GroupBitsForTheGroup", func(t *testing.T, root string) string {
			mkdirMode(t, filepath.Join(root, "shared"), 0o710)
			return filepath.Join(root, "shared/.spsync")
		}, myGid, ""},
		{"GroupBitsNotForOthers", func(t *testing.T, root string) string {
			mkdirMode(t, filepath.Join(root, "shared"), 0o770)
			return filepath.Join(root, "shared/.spsync")
		}, strangerID, "shared"},
		{"MissingDirectoriesDoNotBlock", func(t *testing.T, root string) string {
			return filepath.Join(root, "not/yet/there/.spsync")
		}, strangerID, ""},
		{"SymlinkIntoAClosedDirectory", func(t *testing.T, root string) string {
			mkdirMode(t, filepath.Join(root, "private"), 0o700)
			mkdirMode(t, filepath.Join(root, "private/clone"), 0o755)
			require.NoError(t, os.Symlink(filepath.Join(root, "private/clone"), filepath.Join(root, "link")))
			return filepath.Join(root, "link/.spsync")
		}, strangerID, "private"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := openTempDir(t)
			closed, _, err := firstClosed(tc.setup(t, root), strangerID, tc.gid)
			require.NoError(t, err)
			if tc.wantClosed == "" {
				require.Empty(t, closed)
			} else {
				require.Equal(t, filepath.Join(root, tc.wantClosed), closed)
			}
		})
	}
}

func TestPlace(t *testing.T) {
	t.Parallel()
	stranger := &serverUser{name: "postgres", cred: &syscall.Credential{Uid: strangerID, Gid: strangerID}}

	type env struct{ root, clone, fallback string }
	setup := func(t *testing.T) env {
		root := openTempDir(t)
		e := env{root: root, clone: filepath.Join(root, "tmp.X/spsync"), fallback: filepath.Join(root, "var/lib/spsync")}
		mkdirMode(t, filepath.Join(root, "tmp.X"), 0o700)
		mkdirMode(t, e.clone, 0o755)
		return e
	}
	for _, tc := range []struct {
		name     string
		su       *serverUser
		relocate bool
		prepare  func(t *testing.T, e env) (requested string)
		check    func(t *testing.T, e env, p placement, err error)
	}{
		{"OwnUserKeepsTheDirectory", nil, true,
			func(t *testing.T, e env) string { return filepath.Join(e.clone, ".spsync") },
			func(t *testing.T, e env, p placement, err error) {
				require.NoError(t, err)
				require.Equal(t, filepath.Join(e.clone, ".spsync"), p.dir)
				require.Empty(t, p.movedFrom)
			}},
		{"ReachableDirectoryStays", stranger, true,
			func(t *testing.T, e env) string {
				open := mkdirMode(t, filepath.Join(e.root, "open/spsync"), 0o755)
				return filepath.Join(open, ".spsync")
			},
			func(t *testing.T, e env, p placement, err error) {
				require.NoError(t, err)
				require.Equal(t, filepath.Join(e.root, "open/spsync/.spsync"), p.dir)
				require.Empty(t, p.movedFrom)
			}},
		{"ClosedDefaultMovesUnderTheFallback", stranger, true,
			func(t *testing.T, e env) string { return filepath.Join(e.clone, ".spsync") },
			func(t *testing.T, e env, p placement, err error) {
				require.NoError(t, err)
				require.Equal(t, e.fallback, filepath.Dir(p.dir))
				require.True(t, strings.HasPrefix(filepath.Base(p.dir), "spsync-"), p.dir)
				require.Equal(t, filepath.Join(e.clone, ".spsync"), p.movedFrom)
				require.Equal(t, filepath.Join(e.root, "tmp.X"), p.closedAt)
				require.Contains(t, p.note("postgres"), "mode 0700")
			}},
		{"ChosenDirectoryIsNotOverridden", stranger, false,
			func(t *testing.T, e env) string { return filepath.Join(e.clone, "pg") },
			func(t *testing.T, e env, p placement, err error) {
				require.Error(t, err)
				require.NotContains(t, err.Error(), "\n")
				require.Contains(t, err.Error(), "SPSYNC_DATA_DIR")
				require.Contains(t, err.Error(), filepath.Join(e.root, "tmp.X")+", mode 0700")
			}},
		{"ExistingClusterIsNotAbandoned", stranger, true,
			func(t *testing.T, e env) string {
				pgdata := filepath.Join(e.clone, ".spsync/pgdata")
				require.NoError(t, os.MkdirAll(pgdata, 0o700))
				require.NoError(t, os.WriteFile(filepath.Join(pgdata, "PG_VERSION"), []byte("15\n"), 0o600))
				return filepath.Join(e.clone, ".spsync")
			},
			func(t *testing.T, e env, p placement, err error) {
				require.Error(t, err)
				require.NotContains(t, err.Error(), "\n")
				require.Contains(t, err.Error(), "mv "+filepath.Join(e.clone, ".spsync")+" "+e.fallback+"/spsync-")
			}},
		{"ClosedFallbackIsAnError", stranger, true,
			func(t *testing.T, e env) string {
				mkdirMode(t, e.fallback, 0o700)
				return filepath.Join(e.clone, ".spsync")
			},
			func(t *testing.T, e env, p placement, err error) {
				require.Error(t, err)
				require.Contains(t, err.Error(), "nor the fallback")
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			requested := tc.prepare(t, e)
			p, err := place(requested, tc.relocate, e.fallback, tc.su)
			tc.check(t, e, p, err)
		})
	}
}

// TestFallbackName: the same checkout always gets the same directory (its
// data survives restarts), and two clones of the same name do not share one.
func TestFallbackName(t *testing.T) {
	t.Parallel()
	a := fallbackName("/tmp/tmp.aaaa/spsync/.spsync")
	require.Equal(t, a, fallbackName("/tmp/tmp.aaaa/spsync/.spsync"))
	require.NotEqual(t, a, fallbackName("/tmp/tmp.bbbb/spsync/.spsync"))
	require.Regexp(t, `^spsync-[0-9a-f]{12}$`, a)
	require.Regexp(t, `^my_clone-[0-9a-f]{12}$`, fallbackName("/root/my clone/.spsync"))
	require.Regexp(t, `^data-[0-9a-f]{12}$`, fallbackName("/.spsync"))
}
