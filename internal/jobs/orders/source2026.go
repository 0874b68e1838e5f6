package orders

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/orders/ordermap"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// Orders API 2026-01-01 is the default source of the orders stream (v0 is
// removed on 2027-03-27). It fills the same tables: searchOrders pages carry
// each order's items, packages and proceeds, so there is no getOrderItems
// follow-up; getOrder refreshes one order.

// uses2026 reports whether acct syncs orders through 2026-01-01: every
// account not set to v0.
func uses2026(acct *jobs.Account) bool { return acct.OrdersAPI != config.OrdersAPIV0 }

// deniedRecheck is how long a dataset Amazon refused for a missing role is
// left out before it is asked for again (a person may have granted the role;
// asking costs one call of a ~20-an-hour budget).
const deniedRecheck = 6 * time.Hour

// piiDatasets are the includedData values that need a restricted role, and
// the roles that grant them.
var piiDatasets = map[string]string{
	spapi.IncludedRecipient: "Direct-to-Consumer Shipping (Restricted)",
	spapi.IncludedBuyer:     "Tax Invoicing (Restricted) or Tax Remittance (Restricted)",
}

// source2026 asks Orders 2026-01-01 for the configured datasets, less the
// ones an account's roles do not cover. One is shared by the stream's poll,
// refresh and backfill.
type source2026 struct {
	included []string // configured includedData, FULFILLMENT and PROCEEDS among them
	storePII bool
	// retention is how long stored PII outlives its order (StorePII).
	retention time.Duration

	mu     sync.Mutex
	denied map[string]map[string]time.Time // account → dataset → refused at
}

func newSource2026(opts Options) *source2026 {
	included := opts.IncludedData
	if len(included) == 0 {
		included = config.DefaultOrdersIncludedData
	}
	must := []string{spapi.IncludedFulfillment, spapi.IncludedProceeds}
	if opts.StorePII {
		must = append(must, spapi.IncludedBuyer, spapi.IncludedRecipient)
	}
	for _, d := range must {
		if !slices.Contains(included, d) {
			included = append(slices.Clone(included), d)
		}
	}
	return &source2026{included: included, storePII: opts.StorePII, retention: opts.PIIRetention,
		denied: map[string]map[string]time.Time{}}
}

// datasets returns the includedData to ask for on acct's behalf now.
func (s *source2026) datasets(accountID string, now time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.included))
	for _, d := range s.included {
		if at, ok := s.denied[accountID][d]; ok && now.Sub(at) < deniedRecheck {
			continue
		}
		out = append(out, d)
	}
	return out
}

// refuse notes that Amazon refused dataset for acct.
func (s *source2026) refuse(accountID, dataset string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.denied[accountID] == nil {
		s.denied[accountID] = map[string]time.Time{}
	}
	s.denied[accountID][dataset] = now
}

// deniedOp is the permission_denials operation of a dataset refused on op:
// `worker status` lists it beside whole operations.
func deniedOp(op, dataset string) string { return op + " includedData=" + dataset }

// call2026 runs one searchOrders or getOrder call with the datasets acct may ask
// for. A 403 on a request carrying a role-gated dataset drops that dataset
// (BUYER first), records the refusal for `worker status` naming the role,
// takes another token and asks again: the stream syncs on without it.
func call2026[T any](ctx context.Context, s *source2026, deps *jobs.Deps, acct *jobs.Account, op string, class jobs.BudgetClass,
	fetch func(ctx context.Context, included []string) (T, error), ordersOf func(T) []spapi.Order2026) (T, []string, error) {
	included := s.datasets(acct.ID, deps.Clock())
	for {
		res, err := fetch(ctx, included)
		if err == nil {
			s.checkOmitted(ctx, deps, acct, op, included, ordersOf(res))
			return res, included, nil
		}
		drop := refusedDataset(err, included)
		if drop == "" {
			return res, included, err
		}
		s.refuse(acct.ID, drop, deps.Clock())
		msg := fmt.Sprintf("includedData %s needs the role %s; the orders stream syncs without it until the role is granted (asked again every %s)",
			drop, piiDatasets[drop], deniedRecheck)
		deps.Log().Warn("SP-API refused a role-gated dataset", "account", acct.ID, "operation", op, "dataset", drop, "role", piiDatasets[drop])
		if err := store.RecordPermissionDenied(ctx, deps.Pool, acct.ID, deniedOp(op, drop), msg); err != nil {
			return res, included, err
		}
		included = slices.DeleteFunc(slices.Clone(included), func(d string) bool { return d == drop })
		if err := deps.Take(ctx, acct, op, class); err != nil {
			return res, included, err
		}
	}
}

// checkOmitted keeps permission_denials current for the role-gated datasets
// of an answer: Amazon may also answer a missing role with 200 and the
// personal fields left out. When PII is kept and an answer lists orders
// that must carry them (merchant-fulfilled, past Pending, not cancelled) but
// none does, the dataset is recorded as refused, naming the role; an answer
// that carries them clears it. Without the opt-in only the 403 counts: the
// fields would be stripped anyway.
func (s *source2026) checkOmitted(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, op string, included []string, orders []spapi.Order2026) {
	for _, d := range included {
		role, gated := piiDatasets[d]
		if !gated {
			continue
		}
		expected, carried := 0, 0
		for i := range orders {
			o := &orders[i]
			f := o.Fulfillment
			if f == nil || f.FulfilledBy != "MERCHANT" || !slices.Contains([]string{"UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED"}, f.FulfillmentStatus) {
				continue
			}
			expected++
			switch d {
			case spapi.IncludedRecipient:
				if o.Recipient != nil && o.Recipient.DeliveryAddress != nil && o.Recipient.DeliveryAddress.AddressLine1 != "" {
					carried++
				}
			case spapi.IncludedBuyer:
				if len(o.Buyer) > 0 && strings.Contains(string(o.Buyer), `"buyerName"`) {
					carried++
				}
			}
		}
		var err error
		switch {
		case s.storePII && expected > 0 && carried == 0:
			msg := fmt.Sprintf("Amazon answered includedData %s without its personal fields on %d merchant-fulfilled orders: the application likely lacks the role %s",
				d, expected, role)
			deps.Log().Warn("SP-API left out a role-gated dataset", "account", acct.ID, "operation", op, "dataset", d, "role", role)
			err = store.RecordPermissionDenied(ctx, deps.Pool, acct.ID, deniedOp(op, d), msg)
		case carried > 0 || !s.storePII:
			err = store.ClearPermissionDenied(ctx, deps.Pool, acct.ID, deniedOp(op, d))
		}
		if err != nil {
			deps.Log().Error("dataset permission bookkeeping", "account", acct.ID, "err", err)
		}
	}
}

// refusedDataset returns the role-gated dataset to drop after err, "" when
// err is not a refusal or included has none.
func refusedDataset(err error, included []string) string {
	var apiErr *spapi.Error
	if !errors.As(err, &apiErr) || apiErr.Kind != spapi.KindPermission {
		return ""
	}
	for _, d := range []string{spapi.IncludedBuyer, spapi.IncludedRecipient} {
		if slices.Contains(included, d) {
			return d
		}
	}
	return ""
}

// search fetches one searchOrders page of req with the account's datasets.
// A next page repeats the first page's parameters (Amazon's rule); only
// includedData may differ.
func (s *source2026) search(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, class jobs.BudgetClass, req spapi.SearchOrdersRequest) (*spapi.SearchOrdersResult, error) {
	res, _, err := call2026(ctx, s, deps, acct, spapi.OpSearchOrders, class, func(ctx context.Context, included []string) (*spapi.SearchOrdersResult, error) {
		r := req
		r.IncludedData = included
		return acct.Client.SearchOrders(ctx, r)
	}, func(res *spapi.SearchOrdersResult) []spapi.Order2026 { return res.Orders })
	return res, err
}

// page2026 is a page of 2026 orders mapped to rows before its
// transaction. The mapping (PII stripped, money split, items, packages) is
// CPU work (with the statements' encoding, 29 % of the worker's CPU in a
// 50-seller profile; decoding the answers 28 %); done inside the
// transaction it kept a database connection idle for it, and at many
// sellers the pool's connections sat "idle in transaction" while other
// jobs queued for them.
type page2026 struct {
	orders []spapi.Order2026
	bad    []spapi.Quarantined
	rows   *store.Orders2026Rows
	pii    []store.OrderPIIRow // nil when PII is not kept
}

// mapPage maps orders (and the records set aside, bad) for store.
func (s *source2026) mapPage(acct *jobs.Account, orders []spapi.Order2026, bad []spapi.Quarantined) (*page2026, error) {
	rows, err := ordermap.Orders2026(orders, ordermap.Options2026{Marketplace: onlyMarketplace(acct)})
	if err != nil {
		return nil, err
	}
	p := &page2026{orders: orders, bad: bad, rows: rows}
	if s.storePII {
		if p.pii, err = ordermap.PII(orders); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// store writes a mapped page of 2026 orders in tx through jobs.StorePage:
// rows, items, packages, proceeds, PII when it is kept, and the records
// set aside; a poll's page (poll) also feeds the safety-net count. It
// returns the number of orders written.
func (s *source2026) store(ctx context.Context, deps *jobs.Deps, tx pgx.Tx, acct *jobs.Account, p *page2026, poll bool) (int64, error) {
	return jobs.StorePage(ctx, deps, tx, jobs.PageStore[spapi.Order2026]{
		Account: acct, Stream: Stream, Op: spapi.OpSearchOrders, Table: "orders",
		Records: p.orders, Quarantined: p.bad, Poll: poll,
		Write: func(ctx context.Context, tx pgx.Tx, _ []spapi.Order2026) (jobs.Written, error) {
			return s.write(ctx, deps, tx, acct, p)
		},
	})
}

// write upserts a mapped page of 2026 orders with everything inline in
// them (items, packages, proceeds) and their PII when it is kept.
func (s *source2026) write(ctx context.Context, deps *jobs.Deps, tx pgx.Tx, acct *jobs.Account, p *page2026) (jobs.Written, error) {
	res, err := store.UpsertOrders2026(ctx, tx, acct.ID, p.rows)
	if err != nil {
		return jobs.Written{}, err
	}
	if len(res.NoFulfillment) > 0 {
		deps.Log().Warn("Amazon sent orders without their fulfillment dataset: they keep their stored status",
			"account", acct.ID, "orders", len(res.NoFulfillment), "first", res.NoFulfillment[0])
	}
	if s.storePII {
		if _, err := store.UpsertOrderPII(ctx, tx, acct.ID, p.pii, s.retention); err != nil {
			return jobs.Written{}, err
		}
	}
	items := 0
	for i := range p.orders {
		items += len(p.orders[i].OrderItems)
	}
	return jobs.Written{
		Changed: len(res.Changes),
		Also:    []jobs.RowCount{{Table: "order_items", Offered: items, Changed: int(res.Items.Written)}},
		Changes: entityChanges(res.Changes),
	}, nil
}

// onlyMarketplace is the marketplace an order without one in salesChannel
// belongs to: the account's, when it has exactly one.
func onlyMarketplace(acct *jobs.Account) string {
	if len(acct.MarketplaceIDs) == 1 {
		return acct.MarketplaceIDs[0]
	}
	return ""
}

// walk2026 is one poll of an account's orders through searchOrders: the
// window from the cursor (lastUpdatedAfter, exclusive as in walk) to the
// end Amazon reports (lastUpdatedBefore, inclusive), by
// lastUpdatedTime, page by page. The cursor is the v0 poll's: switching
// versions carries it over.
func (w *PollWorker) walk2026(acct *jobs.Account, scope string, lookback *bool) jobs.Walk {
	walk := w.walk(acct, scope, lookback)
	walk.Op = spapi.OpSearchOrders
	walk.Fetch = func(ctx context.Context, st jobs.WalkState) (*jobs.Page, error) {
		req := spapi.SearchOrdersRequest{MarketplaceIDs: acct.MarketplaceIDs, LastUpdatedAfter: st.From,
			MaxResultsPerPage: w.opts.PageSize, PaginationToken: st.Token}
		page, err := w.src.search(ctx, w.deps, acct, jobs.ClassPoll, req)
		if err != nil {
			return nil, err
		}
		mapped, err := w.src.mapPage(acct, page.Orders, page.Quarantined)
		if err != nil {
			return nil, err
		}
		p := &jobs.Page{Next: page.NextToken(), Store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
			return w.src.store(ctx, w.deps, tx, acct, mapped, true)
		}}
		if st.Token == "" {
			p.To = windowEnd2026(page, st.From)
		}
		return p, nil
	}
	return walk
}

// windowEnd2026 is where the cursor goes when the window is done: the
// lastUpdatedBefore Amazon reports, else the newest lastUpdatedTime of the
// first page, never the host's clock.
func windowEnd2026(page *spapi.SearchOrdersResult, after time.Time) time.Time {
	if page.LastUpdatedBefore != nil && !page.LastUpdatedBefore.IsZero() {
		return page.LastUpdatedBefore.UTC()
	}
	end := after
	for _, o := range page.Orders {
		if o.LastUpdatedTime.After(end) {
			end = o.LastUpdatedTime
		}
	}
	return end.UTC()
}

// backfillPage2026 fetches one searchOrders page of orders created in
// [from, to) and keeps the ones created in it (createdBefore includes its
// instant; the next window keeps those).
func (s *source2026) backfillPage(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, from, to time.Time, token string) (*jobs.Page, error) {
	req := spapi.SearchOrdersRequest{MarketplaceIDs: acct.MarketplaceIDs, CreatedAfter: from, CreatedBefore: to,
		MaxResultsPerPage: 100, PaginationToken: token}
	res, err := s.search(ctx, deps, acct, jobs.ClassBackfill, req)
	if err != nil {
		return nil, err
	}
	keep := res.Orders[:0:0]
	for _, o := range res.Orders {
		if jobs.InWindow(o.CreatedTime, from, to) {
			keep = append(keep, o)
		}
	}
	mapped, err := s.mapPage(acct, keep, res.Quarantined)
	if err != nil {
		return nil, err
	}
	return &jobs.Page{Next: res.NextToken(), Store: func(ctx context.Context, tx pgx.Tx) (int64, error) {
		return s.store(ctx, deps, tx, acct, mapped, false)
	}}, nil
}

// refresh2026 refetches one order with getOrder (2026-01-01), items inline.
func (s *source2026) refresh(ctx context.Context, deps *jobs.Deps, acct *jobs.Account, orderID string) error {
	if err := deps.Take(ctx, acct, spapi.OpGetOrder2026, jobs.ClassFollowup); err != nil {
		return err
	}
	res, _, err := call2026(ctx, s, deps, acct, spapi.OpGetOrder2026, jobs.ClassFollowup, func(ctx context.Context, included []string) (*spapi.GetOrder2026Result, error) {
		return acct.Client.GetOrder2026(ctx, orderID, included)
	}, func(res *spapi.GetOrder2026Result) []spapi.Order2026 { return []spapi.Order2026{res.Order} })
	if err != nil {
		err = deps.QuarantineIncomplete(ctx, acct, err)
		return fmt.Errorf("get order %s (2026-01-01): %w", orderID, err)
	}
	mapped, err := s.mapPage(acct, []spapi.Order2026{res.Order}, nil)
	if err != nil {
		return fmt.Errorf("map order %s (2026-01-01): %w", orderID, err)
	}
	return pgx.BeginFunc(ctx, deps.Pool, func(tx pgx.Tx) error {
		_, err := s.store(ctx, deps, tx, acct, mapped, false)
		return err
	})
}
