package sharedtest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// recorder is a testing.TB that records a Fatalf or Skipf and stops the
// goroutine, as the real ones do.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// find runs dir on a recorder with env as the environment.
func find(t *testing.T, env map[string]string, file string) (string, *recorder) {
	t.Helper()
	r := &recorder{TB: t}
	var got string
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = dir(r, func(k string) string { return env[k] }, "SPSYNC_AMAZON_MODELS", "amazon-models", file, "Amazon's models")
	}()
	<-done
	return got, r
}

func TestDir(t *testing.T) {
	t.Parallel()
	have := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(have, "ordersV0.json"), []byte("{}"), 0o600))
	missing := t.TempDir()

	t.Run("TheEnvironmentPointsElsewhere", func(t *testing.T) {
		t.Parallel()
		got, r := find(t, map[string]string{"SPSYNC_AMAZON_MODELS": have, "CI": "true"}, "ordersV0.json")
		require.Empty(t, r.fatal+r.skip)
		require.Equal(t, have, got)
	})
	t.Run("DefaultIsSharedBesideTheRepository", func(t *testing.T) {
		t.Parallel()
		root, err := repoRoot()
		require.NoError(t, err)
		require.FileExists(t, filepath.Join(root, "go.mod"))
		_, r := find(t, map[string]string{}, "no-such-model.json")
		require.Contains(t, r.skip, filepath.Join(root, "..", "shared", "amazon-models"))
	})
	t.Run("MissingSkipsOutsideCI", func(t *testing.T) {
		t.Parallel()
		_, r := find(t, map[string]string{"SPSYNC_AMAZON_MODELS": missing}, "ordersV0.json")
		require.Empty(t, r.fatal)
		require.Contains(t, r.skip, missing)
	})
	t.Run("MissingFailsUnderCI", func(t *testing.T) {
		t.Parallel()
		_, r := find(t, map[string]string{"SPSYNC_AMAZON_MODELS": missing, "CI": "true"}, "ordersV0.json")
		require.Empty(t, r.skip)
		require.Contains(t, r.fatal, "CI=true requires them")
	})
}
