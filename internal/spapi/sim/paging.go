package sim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
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
	Issued  int64      `json:"i"` // limiter-clock unix nanoseconds
}

var (
	errTokenInvalid = errors.New("invalid token")
	errTokenExpired = errors.New("expired token")
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
// operation and query binding and has not outlived PageTokenTTL.
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
	if st.Account != account || st.Op != op || st.Binding != binding {
		return st, errTokenInvalid
	}
	if s.opts.LimiterClock.Now().UnixNano()-st.Issued > int64(s.opts.PageTokenTTL) {
		return st, errTokenExpired
	}
	if s.faults.roll(op, func(f Faults) float64 { return f.ExpirePageToken }) {
		return st, errTokenExpired
	}
	return st, nil
}
