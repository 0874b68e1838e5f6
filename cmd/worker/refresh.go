package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/spsync/spsync/internal/streams"
)

// runRefresh queues an on-demand refetch of one entity. The running
// worker picks it up at follow-up priority; the command returns at once.
func runRefresh(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("worker refresh", flag.ContinueOnError)
	fs.SetOutput(stderr)
	account := fs.String("account", "", "account id (required when several are configured)")
	// Flags may follow the positional arguments: KIND ID --account A.
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 2 {
		fmt.Fprintf(stderr, "worker refresh: want KIND ID, got %d arguments (KIND is one of %s)\n", len(pos), streams.All(nil).RefreshKinds())
		return 2
	}
	kind, id := pos[0], strings.TrimSpace(pos[1])
	refresh, ok := streams.All(nil).RefreshKind(kind)
	if !ok {
		fmt.Fprintf(stderr, "worker refresh: unknown kind %q (want one of %s)\n", kind, streams.All(nil).RefreshKinds())
		return 2
	}
	if id == "" {
		fmt.Fprintln(stderr, "worker refresh: empty ID")
		return 2
	}

	op, code := openOperatorDB(ctx, "refresh", getenv, stderr)
	if op == nil {
		return code
	}
	defer op.Close()
	acct, err := op.account(*account)
	if err != nil {
		fmt.Fprintln(stderr, "worker refresh:", err)
		return 2
	}
	jobArgs, err := refresh.Args(acct, id)
	if err != nil {
		fmt.Fprintln(stderr, "worker refresh:", err)
		return 2
	}
	res, err := op.river.Insert(ctx, jobArgs, nil)
	if err != nil {
		fmt.Fprintln(stderr, "worker refresh:", err)
		return 1
	}
	if res.UniqueSkippedAsDuplicate {
		fmt.Fprintf(stdout, "%s %s of account %s: a refresh is already queued (job %d)\n", kind, id, acct, res.Job.ID)
		return 0
	}
	fmt.Fprintf(stdout, "%s %s of account %s: refresh queued as job %d; a running worker fetches it at follow-up priority\n", kind, id, acct, res.Job.ID)
	return 0
}
