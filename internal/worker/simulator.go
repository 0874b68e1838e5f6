package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/sim"
)

// SimServer is the built-in SP-API simulator served on a loopback port,
// used when no credentials are configured so `make run` syncs something
// real-looking on a machine with no Amazon account. Commands that need
// one (`worker notifications`) start the same with StartSimulator.
type SimServer struct {
	sim *sim.Sim
	srv *http.Server
	url string
}

// StartSimulator serves a simulator whose accounts are the configured ones
// (their ids and marketplaces, the simulator's demo credentials), with
// usage plans scaled by cfg.RateScale.
func StartSimulator(cfg *config.Config, logger *slog.Logger) (*SimServer, error) {
	accounts := make([]sim.Account, len(cfg.Accounts))
	for i, a := range cfg.Accounts {
		accounts[i] = sim.DemoAccount
		accounts[i].ID = a.ID
		accounts[i].RefreshToken = sim.DemoAccount.RefreshToken + "-" + a.ID
		if i > 0 {
			// Each seller its own id (derived from the account id), so
			// push notifications tell the accounts apart.
			accounts[i].SellerID = ""
		}
		if len(a.MarketplaceIDs) > 0 {
			accounts[i].MarketplaceIDs = a.MarketplaceIDs
		}
	}
	s, err := sim.New(sim.Options{Seed: 1, Accounts: accounts, RateScale: cfg.RateScale})
	if err != nil {
		return nil, fmt.Errorf("start simulator: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start simulator: %w", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("simulator stopped", "err", err)
		}
	}()
	return &SimServer{sim: s, srv: srv, url: "http://" + ln.Addr().String()}, nil
}

// Account returns the simulator's view of a configured account id.
func (s *SimServer) Account(id string) (sim.Account, bool) {
	for _, a := range s.sim.Accounts() {
		if a.ID == id {
			return a, true
		}
	}
	return sim.Account{}, false
}

// URL is the simulator's base URL (its token endpoint is URL+"/auth/o2/token").
func (s *SimServer) URL() string { return s.url }

// Close stops serving.
func (s *SimServer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}
