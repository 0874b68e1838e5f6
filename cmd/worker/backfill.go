package main

import (
	"context"
	"fmt"
	"io"
)

// runBackfill is being built (issue 8).
func runBackfill(_ context.Context, _ []string, _ func(string) string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "worker backfill: not available in this build yet")
	return 1
}
