package localpg

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// DefaultDataDir is where `make run` keeps its cluster when SPSYNC_DATA_DIR
// is unset: .spsync in the working directory, which is the checkout.
const DefaultDataDir = ".spsync"

// FallbackRoot holds the clusters of checkouts the server's user cannot
// reach (see Options.Relocate). Only root ever needs it, because only then
// does the server run as another user, and /var/lib is where a machine keeps
// state that outlives restarts.
const FallbackRoot = "/var/lib/spsync"

// placement is where a cluster lives, and why there.
type placement struct {
	dir       string      // absolute; holds pgdata/ and postgres.log
	movedFrom string      // the requested directory, when the cluster lives elsewhere
	closedAt  string      // the directory on the way to movedFrom closed to the server's user
	closedMod fs.FileMode // its permission bits
}

// note says why the cluster is not where it was asked for, for the log.
func (p placement) note(user string) string {
	return fmt.Sprintf("user %s cannot reach %s (%s, mode %04o, is closed to it)", user, p.movedFrom, p.closedAt, p.closedMod)
}

// place decides where the cluster for requested lives. An ordinary user
// runs the server as themselves and gets requested. Root runs it as su;
// when su cannot search every directory on the way to requested (a checkout
// cloned into a 0700 mktemp directory or under /root), relocate moves the
// cluster to a directory under fallbackRoot named after requested, so the
// same checkout finds the same data on every start. Without relocate (a
// directory the operator chose) that is an error: their choice is not
// silently overridden, and no one's permissions are loosened to make it fit.
func place(requested string, relocate bool, fallbackRoot string, su *serverUser) (placement, error) {
	abs, err := filepath.Abs(requested)
	if err != nil {
		return placement{}, fmt.Errorf("localpg: resolve data dir: %w", err)
	}
	if su == nil {
		return placement{dir: abs}, nil
	}
	closed, mode, err := firstClosed(abs, su.cred.Uid, su.cred.Gid)
	if err != nil {
		return placement{}, err
	}
	if closed == "" {
		return placement{dir: abs}, nil
	}
	p := placement{movedFrom: abs, closedAt: closed, closedMod: mode}
	if !relocate {
		return placement{}, fmt.Errorf("localpg: the server runs as user %s (initdb refuses root), which cannot reach %s (%s, mode %04o, is closed to it): choose a data directory (SPSYNC_DATA_DIR) it can reach",
			su.name, abs, closed, mode)
	}
	p.dir = filepath.Join(fallbackRoot, fallbackName(abs))
	if _, err := os.Stat(filepath.Join(abs, "pgdata", "PG_VERSION")); err == nil {
		// A cluster made while the path was open (or by another user):
		// starting an empty one elsewhere would look like lost data.
		return placement{}, fmt.Errorf("localpg: %s holds a cluster that user %s cannot reach (%s, mode %04o, is closed to it): move it where the server can run it (mv %s %s) or set SPSYNC_DATA_DIR",
			abs, su.name, closed, mode, abs, p.dir)
	}
	if fbClosed, fbMode, err := firstClosed(p.dir, su.cred.Uid, su.cred.Gid); err != nil {
		return placement{}, err
	} else if fbClosed != "" {
		return placement{}, fmt.Errorf("localpg: user %s cannot reach %s, nor the fallback %s (%s, mode %04o, is closed to it): choose a data directory (SPSYNC_DATA_DIR) it can reach",
			su.name, abs, p.dir, fbClosed, fbMode)
	}
	return p, nil
}

// fallbackName names the relocated cluster of requested: the checkout's
// name for people listing FallbackRoot, and a hash of the full path so two
// clones of the same name keep separate data.
func fallbackName(requested string) string {
	sum := sha256.Sum256([]byte(requested))
	base := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, filepath.Base(filepath.Dir(requested)))
	if base == "" || base == "." || base == ".." || base == "_" {
		base = "data"
	}
	return base + "-" + hex.EncodeToString(sum[:6])
}

// firstClosed returns the first existing directory on the way to path (path
// itself excluded: Start creates or hands it over) that uid/gid cannot
// search, or "" when all can be. It reads permission bits the way the
// kernel does (owner, else group, else other) for the server's primary
// group only, because the server is started without supplementary groups;
// ACLs are not consulted. Directories that do not exist yet do not block:
// makeDirs creates them searchable. Symlinks are followed, and the
// directories on the way to their targets checked too.
func firstClosed(path string, uid, gid uint32) (string, fs.FileMode, error) {
	check := func(dirs []string) (string, fs.FileMode, string, error) {
		deepest := ""
		for _, d := range dirs {
			fi, err := os.Stat(d)
			if errors.Is(err, fs.ErrNotExist) {
				break
			}
			if err != nil {
				return "", 0, "", fmt.Errorf("localpg: check data dir path: %w", err)
			}
			if !searchable(fi, uid, gid) {
				return d, fi.Mode().Perm(), "", nil
			}
			deepest = d
		}
		return "", 0, deepest, nil
	}
	closed, mode, deepest, err := check(ancestors(path))
	if err != nil || closed != "" || deepest == "" {
		return closed, mode, err
	}
	real, err := filepath.EvalSymlinks(deepest)
	if err != nil {
		return "", 0, fmt.Errorf("localpg: check data dir path: %w", err)
	}
	if real == deepest {
		return "", 0, nil
	}
	closed, mode, _, err = check(append(ancestors(real), real))
	return closed, mode, err
}

// ancestors lists the directories above path, from the root down.
func ancestors(path string) []string {
	var dirs []string
	for d := filepath.Dir(path); ; d = filepath.Dir(d) {
		dirs = append([]string{d}, dirs...)
		if d == filepath.Dir(d) {
			return dirs
		}
	}
}

func searchable(fi fs.FileInfo, uid, gid uint32) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || !fi.IsDir() {
		return false
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == uid:
		return perm&0o100 != 0
	case st.Gid == gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// makeDirs creates dir (0700, for the cluster) and any missing parents.
// When the server runs as another user, the parents it creates are made
// 0755 whatever the umask, so that user can pass them; directories that
// already exist are never changed.
func makeDirs(dir string, forOtherUser bool) error {
	var missing []string
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("localpg: create data dir: %w", err)
		}
		missing = append([]string{d}, missing...)
		if d == filepath.Dir(d) {
			break
		}
	}
	for _, d := range missing {
		err := os.Mkdir(d, 0o755)
		if errors.Is(err, fs.ErrExist) {
			continue // someone else's now: not ours to change
		}
		if err != nil {
			return fmt.Errorf("localpg: create data dir: %w", err)
		}
		if forOtherUser {
			if err := os.Chmod(d, 0o755); err != nil {
				return fmt.Errorf("localpg: create data dir: %w", err)
			}
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("localpg: create data dir: %w", err)
	}
	return nil
}
