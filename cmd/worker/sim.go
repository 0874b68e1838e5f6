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

	s, err := sim.New(sim.Options{Seed: *seed, Orders: *orders, RateScale: *rateScale})
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
