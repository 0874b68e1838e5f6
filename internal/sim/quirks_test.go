package sim_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sharedtest"
	"github.com/spsync/spsync/internal/sim"
)

// realShapesSection is the package documentation's "Amazon's real shapes"
// section, comment markers and line breaks removed.
func realShapesSection(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	var words []string
	for _, line := range strings.Split(string(raw), "\n") {
		words = append(words, strings.Fields(strings.TrimPrefix(line, "//"))...)
	}
	doc := strings.Join(words, " ")
	start := strings.Index(doc, "# Amazon's real shapes")
	require.GreaterOrEqual(t, start, 0, "doc.go has no \"Amazon's real shapes\" section")
	section := doc[start+1:]
	if end := strings.Index(section, " # "); end >= 0 {
		section = section[:end]
	}
	return section
}

func TestQuirks(t *testing.T) {
	t.Parallel()

	t.Run("EachIsOnceInTheListWithAKnownRule", func(t *testing.T) {
		t.Parallel()
		rules := map[string]bool{"type": true, "enum": true, "required": true, "format": true, "pattern": true,
			"minimum": true, "maximum": true, "minLength": true, "maxLength": true, "minItems": true, "maxItems": true, "additionalProperties": true}
		seen := map[sim.Quirk]bool{}
		for _, q := range sim.Quirks {
			require.False(t, seen[q], "listed twice: %+v", q)
			seen[q] = true
			require.True(t, rules[q.Rule], "%+v: rule %q is not a JSON Schema keyword a validator reports", q, q.Rule)
			require.NotEmpty(t, q.Operation, "%+v", q)
			require.NotEmpty(t, q.Path, "%+v", q)
			require.NotEmpty(t, q.Example, "%+v: every quirk names the example that shows Amazon sending it", q)
		}
	})

	t.Run("TheDocumentationNamesEachWithItsExample", func(t *testing.T) {
		t.Parallel()
		section := realShapesSection(t)
		for _, q := range sim.Quirks {
			field := q.Path[strings.LastIndex(q.Path, ".")+1:]
			field = strings.TrimSuffix(field, "[]")
			for _, want := range []string{q.Operation, field, q.Example} {
				require.Contains(t, section, want, "doc.go's \"Amazon's real shapes\" does not mention %q of quirk %+v", want, q)
			}
		}
	})

	t.Run("EachExampleExists", func(t *testing.T) {
		t.Parallel()
		dir := sharedtest.ExamplesDir(t, "README.md")
		for _, q := range sim.Quirks {
			_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(q.Example)))
			require.NoError(t, err, "quirk %+v: its example is not under %s", q, dir)
		}
	})
}
