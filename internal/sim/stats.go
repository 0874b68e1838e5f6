package sim

import "sync"

// OpStats counts what happened to calls of one operation.
type OpStats struct {
	// Calls is every request routed to the operation, answered or not.
	Calls int
	// Successes is every 2xx answer.
	Successes int
	// Throttled is every 429 answer, real or injected.
	Throttled int
	// Errors is every other non-2xx answer and every dropped connection.
	Errors int
}

// stats keeps call counters per operation, per (account, operation) and per
// entity, so tests can assert both throughput and "never fetched again".
type stats struct {
	mu       sync.Mutex
	byOp     map[string]OpStats
	byAcctOp map[[2]string]OpStats
	entity   map[[3]string]int
	grants   map[string]int // access tokens issued, per account
}

func newStats() *stats {
	s := &stats{}
	s.reset()
	return s
}

func (s *stats) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byOp = map[string]OpStats{}
	s.byAcctOp = map[[2]string]OpStats{}
	s.entity = map[[3]string]int{}
	s.grants = map[string]int{}
}

// record counts one finished call with HTTP status code (0 when the
// connection was dropped).
func (s *stats) record(account, op string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	apply := func(st OpStats) OpStats {
		st.Calls++
		switch {
		case code >= 200 && code < 300:
			st.Successes++
		case code == 429:
			st.Throttled++
		default:
			st.Errors++
		}
		return st
	}
	s.byOp[op] = apply(s.byOp[op])
	k := [2]string{account, op}
	s.byAcctOp[k] = apply(s.byAcctOp[k])
}

func (s *stats) recordEntity(account, op, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entity[[3]string{account, op, id}]++
}

// recordGrant counts one access token issued by the token endpoint.
func (s *stats) recordGrant(account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grants[account]++
}

// Stats returns call counters per operation over all accounts.
func (s *Sim) Stats() map[string]OpStats {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	out := make(map[string]OpStats, len(s.stats.byOp))
	for k, v := range s.stats.byOp {
		out[k] = v
	}
	return out
}

// AccountStats returns call counters per operation for one account.
func (s *Sim) AccountStats(account string) map[string]OpStats {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	out := map[string]OpStats{}
	for k, v := range s.stats.byAcctOp {
		if k[0] == account {
			out[k[1]] = v
		}
	}
	return out
}

// EntityCalls returns how many successful calls of op fetched the entity id
// for account: an order id for getOrder and getOrderItems, a seller
// fulfillment order id, a package number in decimal, a service job id, a
// report id for createReport and getReport, or a report document id for
// getReportDocument.
// It is how a test asserts that a delivered package is never fetched again.
func (s *Sim) EntityCalls(account, op, id string) int {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.entity[[3]string{account, op, id}]
}

// TokenGrants returns how many access tokens the token endpoint issued to
// account, so a test can assert that a client refreshes once per
// invalidated token and not on every call. Refused token requests are not
// counted. They are kept apart from Stats because the token endpoint is not
// an SP-API operation.
func (s *Sim) TokenGrants(account string) int {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.grants[account]
}

// ResetStats zeroes every counter, the report counters (ReportStats,
// ReportRequests, ReportDownloads) included.
func (s *Sim) ResetStats() {
	s.stats.reset()
	s.reports.resetStats()
}
