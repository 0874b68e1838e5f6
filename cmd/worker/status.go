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
// and quarantined records, as a table or with --json for machines. At many
// accounts each per-account table is summarised (per stream, per
// operation) and shows its --worst rows; --account ID shows one account in
// full, --all every row of every account.
func runStatus(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("worker status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of tables (every row, plus \"summary\")")
	account := fs.String("account", "", "show only this account, every row of it")
	worst := fs.Int("worst", status.DefaultWorst, "rows a per-account table shows before it is summarised (its worst rows)")
	all := fs.Bool("all", false, "show every row of every table (as --worst 0)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "worker status: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *worst < 0 {
		fmt.Fprintf(stderr, "worker status: --worst %d: give a number of rows, 0 for all\n", *worst)
		return 2
	}
	if *all {
		*worst = 0
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
	opts := status.TextOptions{Worst: *worst}
	if *account != "" {
		one, ok := r.ForAccount(*account)
		if !ok {
			fmt.Fprintf(stderr, "worker status: no account %q: it has no cursor, bucket or stored row (worker accounts list shows the stored ones)\n", *account)
			return 1
		}
		r, opts = one, status.TextOptions{Account: *account}
	} else if *worst != status.DefaultWorst {
		r.Summarize(*worst)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	} else {
		err = r.WriteTextOptions(stdout, opts)
	}
	if err != nil {
		fmt.Fprintln(stderr, "worker status:", err)
		return 1
	}
	return 0
}
