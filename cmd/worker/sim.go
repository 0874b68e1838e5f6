package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spsync/spsync/internal/spapi/sim"
)

// runSim serves the simulator until ctx ends, for demos and other clients.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("worker sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8787", "address to listen on")
	seed := fs.Int64("seed", 1, "dataset seed (same seed, same data)")
	orders := fs.Int("orders", 500, "orders per account")
	rateScale := fs.Float64("rate-scale", 1, "multiply every usage plan's rate (1 = Amazon's documented rates)")
	start := fs.String("start", "", "anchor the dataset at this RFC 3339 time (default: now, truncated to the hour); with a fixed --seed, the same --start gives the same data")
	history := fs.Duration("history", 0, "how long before --start the first entities were created (default 336h)")
	horizon := fs.Duration("horizon", 0, "how long after --start new entities keep arriving (default 48h)")
	serviceJobs := fs.Int("service-jobs", 0, "service jobs per account (default 50)")
	fulfillmentOrders := fs.Int("fulfillment-orders", 0, "fulfillment orders per account (default 100)")
	cleanShapes := fs.Bool("clean-shapes", false, "send the models' clean JSON shapes instead of Amazon's real ones (string booleans, UPPER statuses, quoted integers, …)")
	invalidateAfter := fs.Duration("invalidate-tokens-after", 0, "refuse each access token this long after it was issued (403, as Amazon does), although LWA reports a one-hour expires_in (default: never early)")
	missingRoles := fs.String("missing-roles", "", "comma-separated restricted roles the demo application lacks, for Orders 2026-01-01 PII: \""+sim.RoleDirectToConsumerShipping+"\" (includedData RECIPIENT), \""+sim.RoleTaxInvoicing+"\", \""+sim.RoleTaxRemittance+"\" (BUYER needs one of the two); requests needing one answer 403")
	omitPII := fs.Bool("omit-pii-without-role", false, "with --missing-roles, answer 200 without the personal fields instead of 403 (Amazon does both)")
	reportDelay := fs.Duration("report-delay", 0, "how long an order report stays IN_PROGRESS before it is DONE, CANCELLED or FATAL; one report per seller and type at a time (default 1m)")
	reportFatal := fs.Float64("report-fatal", 0, "probability that an order report ends FATAL, decided per report from --seed (0 to 1)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "worker sim: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *rateScale <= 0 || *orders <= 0 {
		fmt.Fprintln(stderr, "worker sim: --rate-scale and --orders must be positive")
		return 2
	}
	if *history < 0 || *horizon < 0 || *serviceJobs < 0 || *fulfillmentOrders < 0 || *invalidateAfter < 0 || *reportDelay < 0 {
		fmt.Fprintln(stderr, "worker sim: --history, --horizon, --service-jobs, --fulfillment-orders, --invalidate-tokens-after and --report-delay must not be negative")
		return 2
	}
	if *reportFatal < 0 || *reportFatal > 1 {
		fmt.Fprintln(stderr, "worker sim: --report-fatal is a probability from 0 to 1")
		return 2
	}
	var anchor time.Time
	if *start != "" {
		t, err := time.Parse(time.RFC3339, *start)
		if err != nil {
			fmt.Fprintf(stderr, "worker sim: --start %q is not an RFC 3339 time like 2025-01-02T15:04:05Z\n", *start)
			return 2
		}
		anchor = t
	}

	opts := sim.Options{
		Seed: *seed, Orders: *orders, RateScale: *rateScale,
		Start: anchor, History: *history, Horizon: *horizon,
		ServiceJobs: *serviceJobs, FulfillmentOrders: *fulfillmentOrders,
		CleanShapes: *cleanShapes, AccessTokenInvalidateAfter: *invalidateAfter,
		ReportProcessingDelay: *reportDelay,
		Faults:                sim.Faults{Seed: *seed, ReportFatal: *reportFatal},
	}
	if *missingRoles != "" || *omitPII {
		// Roles belong to an account; the demo account is the only one
		// `worker sim` serves.
		demo := sim.DemoAccount
		for _, role := range strings.Split(*missingRoles, ",") {
			if role = strings.TrimSpace(role); role != "" {
				demo.MissingRoles = append(demo.MissingRoles, role)
			}
		}
		demo.OmitPIIWithoutRole = *omitPII
		opts.Accounts = []sim.Account{demo}
	}
	s, err := sim.New(opts)
	if err != nil {
		fmt.Fprintln(stderr, "worker sim:", err)
		return 1
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "worker sim: listen on %s: %v (pick another --addr)\n", *addr, err)
		return 1
	}
	base := "http://" + ln.Addr().String()
	acct := s.Accounts()[0]
	fmt.Fprintf(stdout, `SP-API simulator serving on %s (seed %d, %d orders per account, rates x%g)
Point spsync (or any SP-API client) at it:

  SPAPI_ENDPOINT=%s \
  LWA_ENDPOINT=%s/auth/o2/token \
  LWA_CLIENT_ID='%s' LWA_CLIENT_SECRET='%s' \
  SPAPI_REFRESH_TOKEN='%s' \
  SPAPI_MARKETPLACE_IDS=%s \
  go run ./cmd/worker run

(these are the simulator's own demo credentials, not secrets). Ctrl-C stops it.
`, base, *seed, *orders, *rateScale, base, base, acct.ClientID, acct.ClientSecret, acct.RefreshToken, strings.Join(acct.MarketplaceIDs, ","))

	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "worker sim:", err)
		return 1
	}
	return 0
}
