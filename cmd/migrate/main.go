// Command migrate applies spsync's schema (River's tables at a pinned version
// plus spsync's goose migrations) to DATABASE_URL, or to the local Postgres
// under SPSYNC_DATA_DIR when DATABASE_URL is unset.
//
//	migrate up            apply everything pending
//	migrate down          roll back the newest spsync migration
//	migrate down --to N   roll back until version N (0 also removes River's tables)
//	migrate status        show applied and pending versions
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spsync/spsync/internal/dbopen"
	"github.com/spsync/spsync/internal/localpg"
	"github.com/spsync/spsync/internal/schema"
)

const usage = `usage: migrate up | down [--to N] | status

Applies spsync's schema to DATABASE_URL, or to the local Postgres under
SPSYNC_DATA_DIR (default ./.spsync, or /var/lib/spsync/... when the
server's user cannot reach it) when DATABASE_URL is unset.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	fs := flag.NewFlagSet("migrate "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	to := fs.Int64("to", -1, "with down: the version to roll back to (0 removes everything)")
	if err := fs.Parse(rest); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "migrate: unexpected argument %q\n%s", fs.Arg(0), usage)
		return 2
	}
	switch cmd {
	case "up", "down", "status":
	default:
		fmt.Fprintf(stderr, "migrate: unknown command %q\n%s", cmd, usage)
		return 2
	}

	dataDir := getenv("SPSYNC_DATA_DIR")
	if dataDir == "" {
		dataDir = localpg.DefaultDataDir
	}
	db, err := dbopen.Open(ctx, getenv("DATABASE_URL"), dataDir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "migrate:", err)
		return 1
	}
	defer db.Close()

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	m, err := schema.New(db.Pool, logger)
	if err != nil {
		fmt.Fprintln(stderr, "migrate:", err)
		return 1
	}
	defer m.Close()

	switch cmd {
	case "up":
		err = m.Up(ctx)
	case "down":
		if *to >= 0 {
			err = m.DownTo(ctx, *to)
		} else {
			err = m.Down(ctx)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "migrate:", err)
		return 1
	}
	st, err := m.Status(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "migrate:", err)
		return 1
	}
	fmt.Fprintf(stdout, "database: %s\n", db.URL)
	if db.DataDir != "" {
		fmt.Fprintf(stdout, "data:     %s%s\n", db.DataDir, movedNote(db.DataDirMovedFrom))
	}
	fmt.Fprintf(stdout, "river:    version %d of %d\nspsync:   version %d of %d (applied %v, pending %v)\n",
		st.RiverVersion, st.RiverTarget, st.GooseVersion, st.GooseTarget, st.AppliedGoose, st.PendingGoose)
	if cmd == "status" && !st.UpToDate() {
		fmt.Fprintln(stdout, "schema is behind: run `migrate up`")
	}
	return 0
}

// movedNote explains a data directory that is not the one asked for.
func movedNote(from string) string {
	if from == "" {
		return ""
	}
	return " (the server's user cannot reach " + from + ")"
}
