// Command worker runs spsync: pollers and follow-ups for every configured
// account, the operator commands, and the SP-API simulator.
//
//	worker run [--once] [--simulate] [--migrate]
//	worker backfill STREAM --from DATE --to DATE [--account A] [--wait]
//	worker refresh order|fulfillment-order|package|service-job ID [--account A]
//	worker status [--json] [--account ID] [--worst N | --all]
//	worker notifications setup --queue-arn ARN [--account A] | notifications status
//	worker accounts list | add ID … | pause ID | resume ID | remove ID | set-refresh-token ID
//	worker credentials list | set-secret [--client-id ID] [--expires DATE] | rotate | rekey
//	worker sim [--addr 127.0.0.1:8787] [--seed N] [--orders N] [--start RFC3339] ...
//
// Configuration comes from the environment (see the README).
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: worker COMMAND [FLAGS]

commands:
  run [--once] [--simulate] [--migrate]
                         run pollers and follow-ups until SIGINT/SIGTERM
                         (--once: one round, then exit)
  backfill STREAM --from DATE --to DATE [--account A] [--wait]
                         sync history of orders, fulfillment-orders or
                         service-jobs in windows at the lowest priority
  backfill list | backfill cancel ID
  refresh KIND ID [--account A]
                         refetch one order, fulfillment-order, package or
                         service-job now
  status [--json] [--account ID] [--worst N | --all]
                         cursors, lag, errors, budgets, queues, backfills;
                         summarised past N rows (20), the worst rows shown
  notifications setup --queue-arn ARN [--account A]
                         subscribe the accounts to ORDER_CHANGE and
                         FULFILLMENT_ORDER_STATUS pushed to an SQS queue
  notifications status [--account A]
                         destinations, subscriptions, the queue's redrive policy
  accounts list | add ID … | pause ID | resume ID | remove ID | set-refresh-token ID
                         manage the stored accounts while workers run
                         (worker accounts help)
  credentials list | set-secret [--client-id ID] [--expires DATE] | rotate | rekey
                         applications' client secrets and the sealing key
                         (worker credentials help)
  sim [--addr ADDR] [--seed N] [--orders N] [--start T] [--history D]
                         serve the SP-API simulator on ADDR

Configuration is read from the environment: DATABASE_URL, SPAPI_REGION,
SPAPI_ENDPOINT, LWA_ENDPOINT, LWA_CLIENT_ID, LWA_CLIENT_SECRET,
SPAPI_REFRESH_TOKEN, SPAPI_MARKETPLACE_IDS, SPSYNC_HTTP_ADDR, SPSYNC_DATA_DIR.
See README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process: testable, and returns the exit code
// (0 ok, 1 failure, 2 usage or configuration error).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return runWorker(ctx, args[1:], getenv, stdout, stderr)
	case "backfill":
		return runBackfill(ctx, args[1:], getenv, stdout, stderr)
	case "refresh":
		return runRefresh(ctx, args[1:], getenv, stdout, stderr)
	case "status":
		return runStatus(ctx, args[1:], getenv, stdout, stderr)
	case "notifications":
		return runNotifications(ctx, args[1:], getenv, stdout, stderr)
	case "accounts":
		return runAccounts(ctx, args[1:], getenv, stdout, stderr)
	case "credentials":
		return runCredentials(ctx, args[1:], getenv, stdout, stderr)
	case "sim":
		return runSim(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		io.WriteString(stdout, usage)
		return 0
	default:
		io.WriteString(stderr, "worker: unknown command \""+args[0]+"\"\n"+usage)
		return 2
	}
}
