package sim_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// modelsDir finds Amazon's models, ../shared/amazon-models beside the
// repository (or SPSYNC_AMAZON_MODELS), and makes sure file is there.
// Absent, the test skips saying where it looked, unless CI=true: CI must
// check against the models, so there it fails.
func modelsDir(t *testing.T, file string) string {
	t.Helper()
	dir := os.Getenv("SPSYNC_AMAZON_MODELS")
	if dir == "" {
		wd, err := os.Getwd()
		require.NoError(t, err)
		for root := wd; ; root = filepath.Dir(root) {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				dir = filepath.Join(root, "..", "shared", "amazon-models")
				break
			}
			if filepath.Dir(root) == root {
				t.Fatal("no go.mod above the test's directory")
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Amazon's models are missing at %s (CI=true requires them): %v", dir, err)
		}
		t.Skipf("Amazon's models are not at %s (set SPSYNC_AMAZON_MODELS): %v", dir, err)
	}
	return dir
}
