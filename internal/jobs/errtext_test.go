package jobs_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
)

func TestErrorText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		msg  string
		want int // length in bytes of the result
	}{
		{"Short", "boom", 4},
		{"ExactlyAtLimit", strings.Repeat("a", 2000), 2000},
		{"LongASCII", strings.Repeat("a", 5000), 2000},
		// 1,999 bytes, then "é" (2 bytes) straddles the limit: cut before it.
		{"CutInsideACharacter", strings.Repeat("a", 1999) + strings.Repeat("é", 10), 1999},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := jobs.ErrorText(errors.New(tc.msg))
			require.Len(t, got, tc.want)
			require.True(t, utf8.ValidString(got))
			require.True(t, strings.HasPrefix(tc.msg, got))
		})
	}
}
