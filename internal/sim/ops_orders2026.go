package sim

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// msgInvalidInput2026 is the message of every Orders 2026-01-01 400 in
// Amazon's examples (searchOrders/5-400.json, getOrder/5-400.json); the
// simulator says what was wrong in details.
const msgInvalidInput2026 = "Invalid Input"

// invalid2026 is an Orders 2026-01-01 InvalidInput failure.
func invalid2026(format string, args ...any) *failure {
	return invalidWith(msgInvalidInput2026, format, args...)
}

// as2026 rewrites a failure of the shared parameter parsers into the 2026
// message, keeping their details.
func as2026(f *failure) *failure {
	if f != nil {
		f.err.Message = msgInvalidInput2026
	}
	return f
}

// searchOrdersPage is the searchOrders body: no payload envelope, and a
// pagination object only when another page follows.
type searchOrdersPage struct {
	Orders            []Order2026     `json:"orders"`
	Pagination        *pagination2026 `json:"pagination,omitempty"`
	LastUpdatedBefore *time.Time      `json:"lastUpdatedBefore,omitempty"`
	CreatedBefore     *time.Time      `json:"createdBefore,omitempty"`
}

type pagination2026 struct {
	NextToken string `json:"nextToken"`
}

// getOrder2026Body is the getOrder (2026-01-01) body.
type getOrder2026Body struct {
	Order Order2026 `json:"order"`
}

// search2026 is one searchOrders request, validated: the page state a
// first page starts from (its Binding the parameters a paginationToken
// must be presented with), and what may change from page to page.
type search2026 struct {
	state    pageState
	markets  []string
	size     int
	included []string
}

// searchOrders plays GET /orders/2026-01-01/orders. Like getOrders, the
// first request fixes a window over creation or last-update time and the
// pages that follow are cut from the data as it stood then, so a walk
// returns every match exactly once; both versions scan the same timeline,
// so at one instant they list the same orders for the same window.
//
// Unlike v0, every page must repeat every parameter of the first request
// unchanged except maxResultsPerPage and includedData (the model's
// Pagination), and the token lives PageTokenTTL2026, 24 hours by default.
func (s *Sim) searchOrders(c *call) (any, *failure) {
	q := c.r.URL.Query()
	sq, fail := s.searchQuery(c, q)
	if fail != nil {
		return nil, fail
	}
	st := sq.state
	if tok := q.Get("paginationToken"); tok != "" {
		var err error
		if st, err = s.decodePage(tok, c.account, OpSearchOrders, st.Binding); err != nil {
			return nil, s.pageFailure2026(err)
		}
	}
	if fail := roleFailure(c.data.acct, sq.included); fail != nil {
		return nil, fail
	}

	d := c.data
	set := d.orders
	page := searchOrdersPage{Orders: []Order2026{}}
	end := unix(st.To - 1)
	if st.Kind == byUpdated {
		page.LastUpdatedBefore = &end
	} else {
		page.CreatedBefore = &end
	}
	var last *cursor
	more := false
	set.tl.scan(st.Kind, st.From, st.To, st.Snap, st.After, func(i int, at int64) bool {
		if !slices.Contains(sq.markets, set.market[i]) {
			return true
		}
		n := set.tl.applied(i, st.Snap)
		if len(st.Filter) > 0 && !slices.Contains(st.Filter, set.status(i, n)) {
			return true
		}
		if len(st.Filter2) > 0 {
			ch := "MFN"
			if set.afn[i] {
				ch = "AFN"
			}
			if !slices.Contains(st.Filter2, ch) {
				return true
			}
		}
		if len(page.Orders) == sq.size {
			more = true
			return false
		}
		page.Orders = append(page.Orders, d.renderOrder2026(i, n).Only(sq.included...))
		last = &cursor{At: at, ID: set.tl.ids[i]}
		return true
	})
	if more {
		next := st
		next.After = last
		page.Pagination = &pagination2026{NextToken: s.encodePage(next)}
	}
	return page, nil
}

// searchQuery validates a searchOrders request the way the model
// describes it, on every page: exactly one of createdAfter and
// lastUpdatedAfter, no created and updated bounds together, every date at
// least two minutes before the request on the data clock, each Before at
// or after its After, maxResultsPerPage 1 to 100, at most 50
// marketplaceIds, and only known fulfillmentStatuses, fulfilledBy and
// includedData values. marketplaceIds is optional in 2026; without it
// every marketplace of the seller is searched.
func (s *Sim) searchQuery(c *call, q url.Values) (search2026, *failure) {
	sq := search2026{state: pageState{Account: c.account, Op: OpSearchOrders, Snap: c.now}}
	keys := []string{"createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore"}
	var times [4]time.Time
	var set [4]bool
	for k, key := range keys {
		var fail *failure
		if times[k], set[k], fail = timeParam(q, key); fail != nil {
			return sq, as2026(fail)
		}
	}
	createdAfter, createdBefore, updatedAfter, updatedBefore := times[0], times[1], times[2], times[3]
	hasCA, hasCB, hasUA, hasUB := set[0], set[1], set[2], set[3]
	switch {
	case hasCA == hasUA:
		return sq, invalid2026("Exactly one of createdAfter and lastUpdatedAfter must be provided.")
	case (hasCA || hasCB) && (hasUA || hasUB):
		return sq, invalid2026("createdAfter and createdBefore cannot be combined with lastUpdatedAfter or lastUpdatedBefore.")
	case hasCB && createdBefore.Before(createdAfter):
		return sq, invalid2026("createdBefore must be equal to or after createdAfter.")
	case hasUB && updatedBefore.Before(updatedAfter):
		return sq, invalid2026("lastUpdatedBefore must be equal to or after lastUpdatedAfter.")
	}
	limit := unix(c.now - twoMinutes)
	for k := range times {
		if set[k] && times[k].After(limit) {
			return sq, invalid2026("%s must be at least two minutes before the time of the request.", keys[k])
		}
	}
	size, fail := intParam(q, "maxResultsPerPage", 100, 1, 100)
	if fail != nil {
		return sq, as2026(fail)
	}
	statuses, fail := enumParam(q, "fulfillmentStatuses", fulfillmentStatuses2026)
	if fail != nil {
		return sq, as2026(fail)
	}
	by, fail := enumParam(q, "fulfilledBy", []string{"MERCHANT", "AMAZON"})
	if fail != nil {
		return sq, as2026(fail)
	}
	included, fail := enumParam(q, "includedData", IncludedData2026)
	if fail != nil {
		return sq, as2026(fail)
	}
	markets := listParam(q, "marketplaceIds")
	if len(markets) > 50 {
		return sq, invalid2026("marketplaceIds accepts at most 50 values, got %d.", len(markets))
	}

	st := &sq.state
	st.Kind, st.From, st.To = byCreated, ceilSec(createdAfter), c.now-twoMinutes+1
	if hasCB {
		st.To = floorSec(createdBefore) + 1
	}
	if hasUA {
		st.Kind, st.From = byUpdated, ceilSec(updatedAfter)
		if hasUB {
			st.To = floorSec(updatedBefore) + 1
		}
	}
	for _, v := range statuses {
		st.Filter = append(st.Filter, statusV0[v])
	}
	for _, v := range by {
		if v == "AMAZON" {
			st.Filter2 = append(st.Filter2, "AFN")
		} else {
			st.Filter2 = append(st.Filter2, "MFN")
		}
	}
	// The binding is every parameter a later page must repeat, as values
	// rather than spellings: the same instant written another way, or a
	// list in another order, is the same parameter.
	stamp := func(k int) string {
		if !set[k] {
			return "-"
		}
		return strconv.FormatInt(times[k].UnixNano(), 10)
	}
	st.Binding = strings.Join([]string{
		"ca=" + stamp(0), "cb=" + stamp(1), "ua=" + stamp(2), "ub=" + stamp(3),
		"m=" + canonicalList(markets), "s=" + canonicalList(statuses), "f=" + canonicalList(by),
	}, ";")

	sq.markets = markets
	if len(markets) == 0 {
		sq.markets = c.data.acct.MarketplaceIDs
	}
	sq.size, sq.included = size, included
	return sq, nil
}

// canonicalList spells a list parameter independently of order and
// repetition.
func canonicalList(vals []string) string {
	v := slices.Clone(vals)
	slices.Sort(v)
	return strings.Join(slices.Compact(v), ",")
}

// pageFailure2026 maps a paginationToken error to a 400 InvalidInput with
// the 2026 message, saying in details which rule was broken.
func (s *Sim) pageFailure2026(err error) *failure {
	switch {
	case errors.Is(err, errTokenExpired):
		return invalid2026("The paginationToken has expired: tokens are valid for %s. Start the search again without paginationToken.", s.pageTTL(OpSearchOrders))
	case errors.Is(err, errTokenParams):
		return invalid2026("The paginationToken was issued for other parameters: repeat every parameter of the request that returned it unchanged; only maxResultsPerPage and includedData may change.")
	default:
		return invalid2026("The paginationToken is not valid.")
	}
}

// roleFailure refuses includedData that asks for personal data the
// account's roles do not cover, as Amazon does: 403 Unauthorized with the
// message every SP-API refusal carries, empty details (unlike an expired
// access token's, so a client does not refresh and retry in vain) and
// x-amzn-ErrorType AccessDeniedException. RECIPIENT needs
// RoleDirectToConsumerShipping, BUYER one of the tax roles. With
// Account.OmitPIIWithoutRole the request succeeds instead and the
// personal fields are left out (renderOrder2026).
func roleFailure(a Account, included []string) *failure {
	if a.OmitPIIWithoutRole {
		return nil
	}
	acc := accessOf(a)
	if (slices.Contains(included, "BUYER") && !acc.buyer) || (slices.Contains(included, "RECIPIENT") && !acc.recipient) {
		return &failure{
			status:    http.StatusForbidden,
			err:       apiError{Code: "Unauthorized", Message: "Access to requested resource is denied."},
			errorType: "AccessDeniedException",
		}
	}
	return nil
}

// getOrder2026 plays GET /orders/2026-01-01/orders/{orderId}: the order as
// it stands now on the data clock, items inline, with the datasets
// includedData asks for.
func (s *Sim) getOrder2026(c *call) (any, *failure) {
	included, fail := enumParam(c.r.URL.Query(), "includedData", IncludedData2026)
	if fail != nil {
		return nil, as2026(fail)
	}
	if fail := roleFailure(c.data.acct, included); fail != nil {
		return nil, fail
	}
	id := c.r.PathValue("orderId")
	i, n, ok := c.data.orderAt(id, c.now)
	if !ok {
		f := notFound("The requested order was not found.")
		f.err.Details = "orderId " + id
		return nil, f
	}
	c.entity = id
	return getOrder2026Body{Order: c.data.renderOrder2026(i, n).Only(included...)}, nil
}
