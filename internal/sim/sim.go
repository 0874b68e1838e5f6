package sim

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"
)

// Sim is the simulated SP-API. It is an http.Handler; see the package
// documentation for what it serves.
type Sim struct {
	opts     Options
	accounts map[string]*accountData
	tokens   *tokens
	limiter  *limiter
	faults   *faultState
	stats    *stats
	reports  *reportState
	notif    notifState     // Notifications API (ops_notifications.go)
	creds    *credState     // client secrets, authorizations (credentials.go)
	sc       *sellerCentral // Seller Central pages, OAuth codes (sellercentral.go)
	pageKey  []byte
	mux      *http.ServeMux
	// patterns are the route pattern of every operation served, which the
	// tests compare with the models' (modelrules_gen.go).
	patterns map[string]string

	reqSeq    atomic.Uint64
	reqPrefix string

	// latencyBase and latencySeq draw Options.Latency's delays (scale.go).
	latencyBase uint64
	latencySeq  atomic.Uint64
}

// New builds a simulator from opts. Datasets are generated lazily, per
// account, on first use.
func New(opts Options) (*Sim, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	var rb [6]byte
	_, _ = rand.Read(rb[:])
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s := &Sim{
		opts:      o,
		accounts:  map[string]*accountData{},
		tokens:    newTokens(o.LimiterClock, o.AccessTokenTTL, o.AccessTokenInvalidateAfter, o.AccessTokenInvalidateAfterCalls),
		limiter:   newLimiter(o),
		faults:    newFaultState(o.Faults),
		stats:     newStats(),
		reports:   newReportState(o.Accounts),
		pageKey:   key,
		patterns:  map[string]string{},
		reqPrefix: hex.EncodeToString(rb[:]),
	}
	layout, err := layoutAccounts(o)
	if err != nil {
		return nil, err
	}
	s.latencyBase = hash64(o.Seed, "latency")
	s.creds = newCredState(o)
	s.sc = newSellerCentral(o)
	s.tokens.credClock = o.CredentialClock
	for n, a := range o.Accounts {
		s.accounts[a.ID] = &accountData{acct: a, opts: &s.opts, base: hash64(o.Seed, "account", a.ID), acctNo: n,
			size: layout[n].size, pkgBase: layout[n].pkgBase, pkgSpan: layout[n].pkgSpan}
	}
	s.routes()
	return s, nil
}

// MustNew is New for tests and examples, panicking on a bad configuration.
func MustNew(opts Options) *Sim {
	s, err := New(opts)
	if err != nil {
		panic(err)
	}
	return s
}

// Options returns the effective options, defaults filled in.
func (s *Sim) Options() Options { return s.opts }

// Accounts returns the configured accounts with their credentials.
func (s *Sim) Accounts() []Account { return append([]Account(nil), s.opts.Accounts...) }

// UsagePlan returns the plan enforced for op after scaling and overrides.
func (s *Sim) UsagePlan(op string) UsagePlan { return s.limiter.plan(op) }

// DrainBucket empties the token bucket of (account, op), so the next call
// is throttled unless the limiter clock moves.
func (s *Sim) DrainBucket(account, op string) { s.limiter.drain(account, op) }

// ResetLimiter refills every token bucket.
func (s *Sim) ResetLimiter() { s.limiter.reset() }

// data returns an account's dataset, built on first use.
func (s *Sim) data(account string) (*accountData, error) {
	d := s.accounts[account]
	if d == nil {
		return nil, fmt.Errorf("sim: unknown account %q", account)
	}
	d.build()
	return d, nil
}

// dataNow is the data clock in whole seconds, the resolution of every
// dataset event.
func (s *Sim) dataNow() int64 { return s.opts.DataClock.Now().Unix() }

// requestID returns a value unique per response, like x-amzn-RequestId.
func (s *Sim) requestID() string {
	n := s.reqSeq.Add(1)
	return fmt.Sprintf("%s-%04x-%012x", s.reqPrefix[:8], n>>48, n&0xFFFFFFFFFFFF)
}

// Now returns the data clock's time, for tests that reason about windows.
func (s *Sim) Now() time.Time { return s.opts.DataClock.Now() }
