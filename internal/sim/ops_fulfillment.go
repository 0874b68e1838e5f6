package sim

import (
	"strconv"
)

// fulfillmentOrdersPage is the listAllFulfillmentOrders payload.
type fulfillmentOrdersPage struct {
	NextToken         string             `json:"nextToken,omitempty"`
	FulfillmentOrders []FulfillmentOrder `json:"fulfillmentOrders"`
}

// listAllFulfillmentOrders plays GET
// /fba/outbound/2020-07-01/fulfillmentOrders: headers of the orders whose
// status changed at or after queryStartDate (default
// Options.FulfillmentQueryDefault ago), oldest change first, in pages of
// Options.FulfillmentOrdersPageSize cut from the data as it stood at the
// first page.
func (s *Sim) listAllFulfillmentOrders(c *call) (any, *failure) {
	q := c.r.URL.Query()
	var st pageState
	if tok := q.Get("nextToken"); tok != "" {
		var err error
		if st, err = s.decodePage(tok, c.account, OpListAllFulfillmentOrders, ""); err != nil {
			return nil, s.pageFailure("nextToken", err)
		}
	} else {
		start, ok, fail := timeParam(q, "queryStartDate")
		if fail != nil {
			return nil, fail
		}
		from := c.now - int64(s.opts.FulfillmentQueryDefault.Seconds())
		if ok {
			from = ceilSec(start)
		}
		st = pageState{Account: c.account, Op: OpListAllFulfillmentOrders, Snap: c.now, Kind: byUpdated, From: from, To: endOfTime, Size: s.opts.FulfillmentOrdersPageSize}
	}
	d := c.data
	page := fulfillmentOrdersPage{FulfillmentOrders: []FulfillmentOrder{}}
	var last *cursor
	more := false
	d.fulfill.tl.scan(st.Kind, st.From, st.To, st.Snap, st.After, func(i int, at int64) bool {
		if len(page.FulfillmentOrders) == st.Size {
			more = true
			return false
		}
		n := d.fulfill.tl.applied(i, st.Snap)
		page.FulfillmentOrders = append(page.FulfillmentOrders, d.renderFulfillment(i, n, true).FulfillmentOrder)
		last = &cursor{At: at, ID: d.fulfill.tl.ids[i]}
		return true
	})
	if more {
		next := st
		next.After = last
		page.NextToken = s.encodePage(next)
	}
	return page, nil
}

// getFulfillmentOrder plays GET
// /fba/outbound/2020-07-01/fulfillmentOrders/{sellerFulfillmentOrderId}:
// the whole order as it stands now.
func (s *Sim) getFulfillmentOrder(c *call) (any, *failure) {
	id := c.r.PathValue("sellerFulfillmentOrderId")
	idx, found := c.data.fulfill.tl.byID[id]
	n := 0
	if found {
		n = c.data.fulfill.tl.applied(int(idx), c.now)
	}
	if n == 0 {
		f := notFound("The requested fulfillment order was not found.")
		f.err.Details = "sellerFulfillmentOrderId " + id
		return nil, f
	}
	c.entity = id
	return c.data.renderFulfillment(int(idx), n, false), nil
}

// getPackageTrackingDetails plays GET
// /fba/outbound/2020-07-01/tracking?packageNumber=: a shipped package's
// journey so far.
func (s *Sim) getPackageTrackingDetails(c *call) (any, *failure) {
	v := c.r.URL.Query().Get("packageNumber")
	if v == "" {
		return nil, invalidDetail("Missing required parameter packageNumber.")
	}
	num, err := strconv.ParseInt(v, 10, 32)
	if err != nil || num < 0 {
		return nil, invalidDetail("packageNumber must be a 32-bit integer, got %q.", v)
	}
	det, ok := c.data.renderTracking(int(num), c.now)
	if !ok {
		f := notFound("The requested package was not found.")
		f.err.Details = "packageNumber " + v
		return nil, f
	}
	c.entity = v
	return det, nil
}
