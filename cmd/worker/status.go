package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/spsync/spsync/internal/status"
)

// runStatus prints cursors, lag, errors, budgets, queues, running backfills
// and quarantined records, as a table or with --json for machines.
func runStatus(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("worker status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of tables")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "worker status: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	op, code := openOperatorDB(ctx, "status", getenv, stderr)
	if op == nil {
		return code
	}
	defer op.Close()
	r, err := status.Collect(ctx, op.db.Pool)
	if err != nil {
		fmt.Fprintln(stderr, "worker status:", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	} else {
		err = r.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "worker status:", err)
		return 1
	}
	return 0
}
