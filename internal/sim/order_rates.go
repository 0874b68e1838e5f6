package sim

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// OrderRate is a span of the data clock in which new orders arrive at a
// steady rate, on top of Options.Orders: PerHour orders, each created at
// its own uniformly drawn instant in [From, To), each changing exactly once
// (its creation; it stays Pending). So the changes a searchOrders window
// lists are exactly the orders created in it, and a benchmark can set the
// change rate a poll faces hour by hour (Options.OrderRates) and read the
// truth back from OrderChanges.
type OrderRate struct {
	From, To time.Time
	PerHour  float64
}

// buildRateOrders adds the orders of d.opts.OrderRates to set: round(PerHour
// × the account's OrderRateScale × hours) per span, drawn from the seed.
func buildRateOrders(d *accountData, set *orderSet) {
	minI, maxI := d.opts.ItemsPerOrderMin, d.opts.ItemsPerOrderMax
	for k, span := range d.opts.OrderRates {
		from, to := span.From.Unix(), span.To.Unix()
		perHour := span.PerHour * d.size.OrderRateScale
		if to <= from || perHour <= 0 {
			continue
		}
		n := int(math.Round(perHour * float64(to-from) / 3600))
		for j := 0; j < n; j++ {
			r := newRand(d.base, fmt.Sprintf("rate-order-%d", k), j)
			var id string
			for {
				id = fmt.Sprintf("%03d-%07d-%07d", 111+r.IntN(4), r.IntN(10_000_000), r.IntN(10_000_000))
				if _, dup := set.tl.byID[id]; !dup {
					break
				}
			}
			set.market = append(set.market, d.marketplace(r))
			set.afn = append(set.afn, chance(r, 0.5))
			set.nItems = append(set.nItems, uint8(minI+r.IntN(maxI-minI+1)))
			set.tl.add(id, []int64{from + r.Int64N(to-from)}, []uint8{evPending})
		}
	}
}

// OrderChange is one change of one order: the order's LastUpdateDate (and
// Orders 2026-01-01's lastUpdatedTime) moved to At.
type OrderChange struct {
	OrderID string
	At      time.Time
}

// OrderChanges is the account's change log: every order event in [from, to)
// that has happened on the data clock, in time order (then by order id).
// An order created and updated in the span appears once per event, as
// ORDER_CHANGE notifications would announce it. It costs no budget.
func (s *Sim) OrderChanges(account string, from, to time.Time) ([]OrderChange, error) {
	d, err := s.data(account)
	if err != nil {
		return nil, err
	}
	lo, hi := ceilSecond(from), min(ceilSecond(to), s.dataNow()+1)
	refs := d.orders.tl.updated
	start := sort.Search(len(refs), func(i int) bool { return refs[i].at >= lo })
	var out []OrderChange
	for _, r := range refs[start:] {
		if r.at >= hi {
			break
		}
		out = append(out, OrderChange{OrderID: d.orders.tl.ids[r.ent], At: unix(r.at)})
	}
	return out, nil
}

// ceilSecond is t in whole seconds, rounded up: events fall on whole
// seconds, so those at or after t are those at or after ceilSecond(t).
func ceilSecond(t time.Time) int64 {
	if t.Nanosecond() > 0 {
		return t.Unix() + 1
	}
	return t.Unix()
}
