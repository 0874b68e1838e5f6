package sim

import (
	"slices"
	"strings"
	"time"
)

// orderStatusFilter lists the OrderStatuses values getOrders accepts.
// PendingAvailability, InvoiceUnconfirmed and Unfulfillable are valid
// filters although the simulated dataset never produces them.
var orderStatusFilter = []string{"PendingAvailability", "Pending", "Unshipped", "PartiallyShipped", "Shipped", "InvoiceUnconfirmed", "Canceled", "Unfulfillable"}

// ordersPage is the getOrders payload.
type ordersPage struct {
	Orders            []Order    `json:"Orders"`
	NextToken         string     `json:"NextToken,omitempty"`
	LastUpdatedBefore *time.Time `json:"LastUpdatedBefore,omitempty"`
	CreatedBefore     *time.Time `json:"CreatedBefore,omitempty"`
}

// getOrders plays GET /orders/v0/orders. The first request defines a
// window over purchase date or last-update date and its filters; the pages
// that follow are cut from the data as it stood at that first request, so
// walking NextToken returns every match exactly once however the data moves
// meanwhile.
func (s *Sim) getOrders(c *call) (any, *failure) {
	q := c.r.URL.Query()
	markets := listParam(q, "MarketplaceIds")
	if len(markets) == 0 {
		return nil, invalidDetail("Missing required parameter MarketplaceIds.")
	}
	if len(markets) > 50 {
		return nil, invalidDetail("MarketplaceIds accepts at most 50 values, got %d.", len(markets))
	}
	slices.Sort(markets)
	binding := strings.Join(markets, ",")

	var st pageState
	if tok := q.Get("NextToken"); tok != "" {
		var err error
		if st, err = s.decodePage(tok, c.account, OpGetOrders, binding); err != nil {
			return nil, s.pageFailure("NextToken", err)
		}
	} else {
		var fail *failure
		if st, fail = s.ordersQuery(c, q, markets); fail != nil {
			return nil, fail
		}
		st.Binding = binding
	}

	d := c.data
	set := d.orders
	page := ordersPage{Orders: []Order{}}
	end := unix(st.To - 1)
	if st.Kind == byUpdated {
		page.LastUpdatedBefore = &end
	} else {
		page.CreatedBefore = &end
	}
	var last *cursor
	more := false
	set.tl.scan(st.Kind, st.From, st.To, st.Snap, st.After, func(i int, at int64) bool {
		if !slices.Contains(markets, set.market[i]) {
			return true
		}
		if len(st.IDs) > 0 && !slices.Contains(st.IDs, set.tl.ids[i]) {
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
		if len(page.Orders) == st.Size {
			more = true
			return false
		}
		page.Orders = append(page.Orders, d.renderOrder(i, n))
		last = &cursor{At: at, ID: set.tl.ids[i]}
		return true
	})
	if more {
		next := st
		next.After = last
		page.NextToken = s.encodePage(next)
	}
	return page, nil
}

// ordersQuery validates a first getOrders request the way Amazon does and
// turns it into the state every later page carries.
func (s *Sim) ordersQuery(c *call, q map[string][]string, markets []string) (pageState, *failure) {
	st := pageState{Account: c.account, Op: OpGetOrders, Snap: c.now}
	var times [4]time.Time
	var set [4]bool
	for k, key := range []string{"CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore"} {
		var fail *failure
		if times[k], set[k], fail = timeParam(q, key); fail != nil {
			return st, fail
		}
	}
	createdAfter, createdBefore, updatedAfter, updatedBefore := times[0], times[1], times[2], times[3]
	hasCA, hasCB, hasUA, hasUB := set[0], set[1], set[2], set[3]
	switch {
	case !hasCA && !hasUA:
		return st, invalidDetail("Either CreatedAfter or LastUpdatedAfter must be specified.")
	case (hasCA || hasCB) && (hasUA || hasUB):
		return st, invalidDetail("CreatedAfter and CreatedBefore cannot be combined with LastUpdatedAfter or LastUpdatedBefore.")
	case hasCB && createdBefore.Before(createdAfter):
		return st, invalidDetail("CreatedBefore must be at or after CreatedAfter.")
	case hasUB && updatedBefore.Before(updatedAfter):
		return st, invalidDetail("LastUpdatedBefore must be at or after LastUpdatedAfter.")
	}
	// Every date must lie at least two minutes before the request; Amazon
	// refuses later ones with its generic message and no details.
	limit := unix(c.now - twoMinutes)
	for k := range times {
		if set[k] && times[k].After(limit) {
			return st, invalidInput(msgInvalidInput)
		}
	}
	size, fail := intParam(q, "MaxResultsPerPage", 100, 1, 100)
	if fail != nil {
		return st, fail
	}
	statuses, fail := enumParam(q, "OrderStatuses", orderStatusFilter)
	if fail != nil {
		return st, fail
	}
	channels, fail := enumParam(q, "FulfillmentChannels", []string{"AFN", "MFN"})
	if fail != nil {
		return st, fail
	}
	ids := listParam(q, "AmazonOrderIds")
	if len(ids) > 50 {
		return st, invalidDetail("AmazonOrderIds accepts at most 50 values, got %d.", len(ids))
	}
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
	st.Size, st.Filter, st.Filter2, st.IDs = size, statuses, channels, ids
	return st, nil
}

// getOrder plays GET /orders/v0/orders/{orderId}: the order as it stands
// now on the data clock.
func (s *Sim) getOrder(c *call) (any, *failure) {
	id := c.r.PathValue("orderId")
	i, n, ok := c.data.orderAt(id, c.now)
	if !ok {
		return nil, orderNotFound(id)
	}
	c.entity = id
	return c.data.renderOrder(i, n), nil
}

// orderItemsPage is the getOrderItems payload.
type orderItemsPage struct {
	OrderItems    []OrderItem `json:"OrderItems"`
	NextToken     string      `json:"NextToken,omitempty"`
	AmazonOrderID string      `json:"AmazonOrderId"`
}

// getOrderItems plays GET /orders/v0/orders/{orderId}/orderItems, in pages
// of Options.OrderItemsPageSize. Follow-up pages show the items as they
// stood at the first page.
func (s *Sim) getOrderItems(c *call) (any, *failure) {
	id := c.r.PathValue("orderId")
	i, _, ok := c.data.orderAt(id, c.now)
	if !ok {
		return nil, orderNotFound(id)
	}
	st := pageState{Account: c.account, Op: OpGetOrderItems, Binding: id, Snap: c.now, Size: s.opts.OrderItemsPageSize}
	if tok := c.r.URL.Query().Get("NextToken"); tok != "" {
		var err error
		if st, err = s.decodePage(tok, c.account, OpGetOrderItems, id); err != nil {
			return nil, s.pageFailure("NextToken", err)
		}
	}
	items := c.data.orderItems(i, c.data.orders.tl.applied(i, st.Snap))
	end := min(st.Offset+st.Size, len(items))
	page := orderItemsPage{OrderItems: items[st.Offset:end], AmazonOrderID: id}
	if end < len(items) {
		next := st
		next.Offset = end
		page.NextToken = s.encodePage(next)
	}
	c.entity = id
	return page, nil
}

// orderAt finds an order that exists at t (created at or before it) and
// returns its index and number of applied events.
func (d *accountData) orderAt(id string, t int64) (i, n int, ok bool) {
	idx, found := d.orders.tl.byID[id]
	if !found {
		return 0, 0, false
	}
	n = d.orders.tl.applied(int(idx), t)
	return int(idx), n, n > 0
}

func orderNotFound(id string) *failure {
	f := notFound("The requested order was not found.")
	f.err.Details = "AmazonOrderId " + id
	return f
}
