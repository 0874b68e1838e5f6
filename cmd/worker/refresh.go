package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/riverqueue/river"

	"github.com/spsync/spsync/internal/jobs/fulfillment"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/jobs/servicejobs"
)

// refreshKinds maps `worker refresh KIND` to the job that refetches one
// entity. Streams add theirs as they gain a refresh job.
var refreshKinds = map[string]func(accountID, id string) (river.JobArgs, error){
	"order": func(accountID, id string) (river.JobArgs, error) {
		return orders.RefreshArgs{AccountID: accountID, AmazonOrderID: id}, nil
	},
	"fulfillment-order": func(accountID, id string) (river.JobArgs, error) {
		return fulfillment.RefreshArgs{AccountID: accountID, SellerFulfillmentOrderID: id}, nil
	},
	"package": func(accountID, id string) (river.JobArgs, error) {
		n, err := strconv.Atoi(id)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("package number %q is not a positive integer", id)
		}
		return fulfillment.RefreshPackageArgs{AccountID: accountID, PackageNumber: n}, nil
	},
	"service-job": func(accountID, id string) (river.JobArgs, error) {
		return servicejobs.RefreshArgs{AccountID: accountID, ServiceJobID: id}, nil
	},
}

func refreshKindNames() string {
	names := make([]string, 0, len(refreshKinds))
	for k := range refreshKinds {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

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
		fmt.Fprintf(stderr, "worker refresh: want KIND ID, got %d arguments (KIND is one of %s)\n", len(pos), refreshKindNames())
		return 2
	}
	kind, id := pos[0], strings.TrimSpace(pos[1])
	newArgs, ok := refreshKinds[kind]
	if !ok {
		fmt.Fprintf(stderr, "worker refresh: unknown kind %q (want one of %s)\n", kind, refreshKindNames())
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
	jobArgs, err := newArgs(acct, id)
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
