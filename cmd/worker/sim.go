package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/spsync/spsync/internal/sim"
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
	notifyEndpoint := fs.String("notify-sqs-endpoint", "", "deliver ORDER_CHANGE, FULFILLMENT_ORDER_STATUS and TRANSACTION_UPDATE notifications as the data changes, to the SQS-compatible server at this URL (e.g. fauxqs at http://127.0.0.1:4566), to the destinations the sellers subscribed (worker notifications setup) or to --notify-queue-arn")
	notifyQueue := fs.String("notify-queue-arn", "", "with --notify-sqs-endpoint, the queue (arn:aws:sqs:REGION:ACCOUNT:NAME) every notification of every account goes to, subscribed or not; it must exist")
	notifyDrop := fs.Float64("notify-drop", 0, "probability that a notification is never delivered (0 to 1)")
	notifyDuplicate := fs.Float64("notify-duplicate", 0, "probability that a notification is delivered twice (0 to 1)")
	notifyDelay := fs.String("notify-delay", "0", "delay between a change and its notification's delivery: D (uniform from 0 to D) or MIN-MAX, e.g. 500ms-3s")
	notifyReorder := fs.Int("notify-reorder", 0, "shuffle deliveries within groups of this many (0 keeps change order)")
	latency := fs.String("latency", "0", "delay every SP-API answer: 0 (none), realistic (log-normal, median 350ms, most answers within 200ms-600ms, as SP-API users report), D, MIN-MAX (uniform, e.g. 200ms-600ms) or median=350ms,sigma=0.3,min=100ms,max=2s[,transit=30ms]; the usage plan counts a call on arrival (after its transit, up to 30ms in realistic) and the delay follows; each call waits on its own, so calls in flight overlap")
	oauthBase := fs.String("oauth-base-url", "", "register the demo application's Login URI and Redirect URI as {URL}/oauth/login and {URL}/oauth/callback (the worker's SPSYNC_OAUTH_BASE_URL), so its Seller Central pages (/sellercentral/{region}/…) complete Amazon's authorization flow against that worker")
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
	answerLatency, err := sim.ParseLatency(*latency)
	if err != nil {
		fmt.Fprintln(stderr, "worker sim: --latency:", err)
		return 2
	}
	delayMin, delayMax, err := parseDelayRange(*notifyDelay)
	if err != nil {
		fmt.Fprintln(stderr, "worker sim: --notify-delay:", err)
		return 2
	}
	if *notifyDrop < 0 || *notifyDrop > 1 || *notifyDuplicate < 0 || *notifyDuplicate > 1 || *notifyReorder < 0 {
		fmt.Fprintln(stderr, "worker sim: --notify-drop and --notify-duplicate are probabilities from 0 to 1, --notify-reorder must not be negative")
		return 2
	}
	if *notifyEndpoint == "" && *notifyQueue != "" {
		fmt.Fprintln(stderr, "worker sim: --notify-queue-arn needs --notify-sqs-endpoint (the SQS server to send to)")
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
		Latency:               answerLatency,
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
	if *oauthBase != "" {
		u, err := url.Parse(*oauthBase)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fmt.Fprintf(stderr, "worker sim: --oauth-base-url %q is not an http(s) URL like http://127.0.0.1:8081\n", *oauthBase)
			return 2
		}
		b := strings.TrimRight(*oauthBase, "/")
		s.SetApplicationURIs(sim.DemoApplicationID, b+"/oauth/login", b+"/oauth/callback")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "worker sim: listen on %s: %v (pick another --addr)\n", *addr, err)
		return 1
	}
	base := "http://" + ln.Addr().String()
	acct := s.Accounts()[0]
	fmt.Fprintf(stdout, `SP-API simulator serving on %s (seed %d, %d orders per account, rates x%g, latency %s)
Point spsync (or any SP-API client) at it:

  SPAPI_ENDPOINT=%s \
  LWA_ENDPOINT=%s/auth/o2/token \
  LWA_CLIENT_ID='%s' LWA_CLIENT_SECRET='%s' \
  SPAPI_REFRESH_TOKEN='%s' \
  SPAPI_MARKETPLACE_IDS=%s \
  go run ./cmd/worker run

(these are the simulator's own demo credentials, not secrets). Ctrl-C stops it.
`, base, *seed, *orders, *rateScale, answerLatency, base, base, acct.ClientID, acct.ClientSecret, acct.RefreshToken, strings.Join(acct.MarketplaceIDs, ","))
	if *oauthBase != "" {
		fmt.Fprintf(stdout, `Seller Central for onboarding: add to the worker's environment
  SPSYNC_SELLER_CENTRAL_URL=%s/sellercentral SPSYNC_OAUTH_APPLICATION_ID=%s
`, base, sim.DemoApplicationID)
	}

	var notifier *sim.Notifier
	if *notifyEndpoint != "" {
		region := "us-east-1"
		if *notifyQueue != "" {
			if region, err = sqsRegion(*notifyQueue); err != nil {
				fmt.Fprintln(stderr, "worker sim: --notify-queue-arn:", err)
				return 2
			}
		}
		// Credentials from the environment when set, otherwise dummy ones
		// (local emulators accept anything).
		key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
		if key == "" || secret == "" {
			key, secret = "sim", "sim"
		}
		client := sqs.New(sqs.Options{
			BaseEndpoint: aws.String(*notifyEndpoint),
			Region:       region,
			Credentials:  credentials.NewStaticCredentialsProvider(key, secret, os.Getenv("AWS_SESSION_TOKEN")),
		})
		queue, route := *notifyQueue, s.NotificationDestinations
		if queue != "" {
			route = func(string, string) []string { return []string{queue} }
		} else {
			queue = "the subscribed destinations"
		}
		notifier, err = s.StartNotifier(ctx, sim.NotifierOptions{
			Sink:          sim.NewSQSSink(client),
			Route:         route,
			DropRate:      *notifyDrop,
			DuplicateRate: *notifyDuplicate,
			DelayMin:      delayMin,
			DelayMax:      delayMax,
			ReorderWindow: *notifyReorder,
			Seed:          *seed,
		})
		if err != nil {
			fmt.Fprintln(stderr, "worker sim:", err)
			return 2
		}
		fmt.Fprintf(stdout, "Delivering notifications to %s at %s (drop %g, duplicate %g, delay %s-%s, reorder %d).\n",
			queue, *notifyEndpoint, *notifyDrop, *notifyDuplicate, delayMin, delayMax, *notifyReorder)
	}

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
	if notifier != nil {
		<-notifier.Done()
		st := notifier.Stats()
		fmt.Fprintf(stdout, "notifications: %d emitted, %d dropped, %d duplicated, %d delivered, %d failed\n", st.Emitted, st.Dropped, st.Duplicated, st.Delivered, st.Failed)
	}
	return 0
}

// parseDelayRange reads --notify-delay: "D" is 0 to D, "MIN-MAX" MIN to MAX.
func parseDelayRange(v string) (lo, hi time.Duration, err error) {
	parse := func(s string) (time.Duration, error) {
		if n, err := strconv.ParseFloat(s, 64); err == nil && n == 0 {
			return 0, nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration like 2s or a range like 500ms-3s", v)
		}
		return d, nil
	}
	a, b, isRange := strings.Cut(strings.TrimSpace(v), "-")
	if hi, err = parse(a); err != nil {
		return 0, 0, err
	}
	if isRange {
		lo = hi
		if hi, err = parse(b); err != nil {
			return 0, 0, err
		}
	}
	if lo < 0 || hi < lo {
		return 0, 0, fmt.Errorf("%q: delays must not be negative and MIN must not exceed MAX", v)
	}
	return lo, hi, nil
}

// sqsRegion is the region of an SQS queue ARN, arn:aws:sqs:REGION:ACCOUNT:NAME.
func sqsRegion(arn string) (string, error) {
	p := strings.Split(arn, ":")
	if len(p) != 6 || p[0] != "arn" || p[2] != "sqs" || p[3] == "" || p[4] == "" || p[5] == "" {
		return "", fmt.Errorf("%q is not an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)", arn)
	}
	return p[3], nil
}
