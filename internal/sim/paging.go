package sim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// pageState is everything a follow-up page needs. It travels inside the
// paging token, signed, so the simulator keeps no per-query state and a
// token cannot be forged or moved to another account or query.
type pageState struct {
	Account string     `json:"a"`
	Op      string     `json:"o"`
	Binding string     `json:"b"` // the query parameters the token is tied to
	Snap    int64      `json:"s"` // data-clock second the first page was cut at
	Kind    windowKind `json:"k,omitempty"`
	From    int64      `json:"f,omitempty"`
	To      int64      `json:"t,omitempty"`
	After   *cursor    `json:"c,omitempty"`
	Offset  int        `json:"n,omitempty"`
	Size    int        `json:"z,omitempty"`
	Filter  []string   `json:"q,omitempty"`
	Filter2 []string   `json:"r,omitempty"`
	IDs     []string   `json:"d,omitempty"`
	Total   int        `json:"m,omitempty"`
	Empty   bool       `json:"e,omitempty"` // listTransactions: the empty page at Offset was served
	Issued  int64      `json:"i"`           // limiter-clock unix nanoseconds
}

var (
	errTokenInvalid = errors.New("invalid token")
	errTokenExpired = errors.New("expired token")
	// errTokenParams is a genuine token presented with query parameters
	// other than those of the request that produced it. It wraps
	// errTokenInvalid, so callers that do not tell them apart need not.
	errTokenParams = fmt.Errorf("%w: parameters differ from the first page's", errTokenInvalid)
)

// encodePage signs and encodes a page state as an opaque token.
func (s *Sim) encodePage(st pageState) string {
	st.Issued = s.opts.LimiterClock.Now().UnixNano()
	body, _ := json.Marshal(st)
	mac := hmac.New(sha256.New, s.pageKey)
	mac.Write(body)
	sig := mac.Sum(nil)[:16]
	return base64.RawURLEncoding.EncodeToString(append(sig, body...))
}

// decodePage verifies a token and checks that it belongs to this account,
// operation and query binding and has not outlived its operation's TTL
// (pageTTL).
func (s *Sim) decodePage(tok, account, op, binding string) (pageState, error) {
	var st pageState
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) < 17 {
		return st, errTokenInvalid
	}
	mac := hmac.New(sha256.New, s.pageKey)
	mac.Write(raw[16:])
	if !hmac.Equal(mac.Sum(nil)[:16], raw[:16]) {
		return st, errTokenInvalid
	}
	if err := json.Unmarshal(raw[16:], &st); err != nil {
		return st, errTokenInvalid
	}
	if st.Account != account || st.Op != op {
		return st, errTokenInvalid
	}
	if st.Binding != binding {
		return st, errTokenParams
	}
	if s.opts.LimiterClock.Now().UnixNano()-st.Issued > int64(s.pageTTL(op)) {
		return st, errTokenExpired
	}
	if s.faults.roll(op, func(f Faults) float64 { return f.ExpirePageToken }) {
		return st, errTokenExpired
	}
	return st, nil
}

// pageTTL is how long op's paging tokens live: 24 hours by default for
// Orders 2026-01-01, as its model documents, and PageTokenTTL for the rest.
func (s *Sim) pageTTL(op string) time.Duration {
	if op == OpSearchOrders {
		return s.opts.PageTokenTTL2026
	}
	return s.opts.PageTokenTTL
}
