package sim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrNotFound is returned by the ground-truth methods for an entity that
// does not exist (yet) on the data clock.
var ErrNotFound = errors.New("sim: not found")

// The ground-truth methods below report what the simulator holds for an
// account as of the data clock's current time, rendered exactly as the
// operations render it (same exported types, same field values). Entities
// created after the data clock's time do not exist yet and are left out.
// They cost no rate budget and are not counted in Stats, so a test can call
// them freely to assert that what a sync stored equals the source.

// TruthOrders returns every order of account, sorted by AmazonOrderID.
// Items are available from TruthOrderItems.
func (s *Sim) TruthOrders(account string) ([]Order, error) {
	d, err := s.data(account)
	if err != nil {
		return nil, err
	}
	now := s.dataNow()
	var out []Order
	for i := range d.orders.tl.ids {
		if n := d.orders.tl.applied(i, now); n > 0 {
			out = append(out, d.renderOrder(i, n))
		}
	}
	slices.SortFunc(out, func(a, b Order) int { return strings.Compare(a.AmazonOrderID, b.AmazonOrderID) })
	return out, nil
}

// TruthOrderItems returns the items of one order in getOrderItems order,
// or an error wrapping ErrNotFound.
func (s *Sim) TruthOrderItems(account, orderID string) ([]OrderItem, error) {
	d, err := s.data(account)
	if err != nil {
		return nil, err
	}
	i, n, ok := d.orderAt(orderID, s.dataNow())
	if !ok {
		return nil, fmt.Errorf("order %s of account %q: %w", orderID, account, ErrNotFound)
	}
	return d.orderItems(i, n), nil
}

// TruthOrders2026 returns every order of account as Orders 2026-01-01
// renders it with every includedData value (Order2026.Only narrows it),
// sorted by OrderID: the same orders, items, times and statuses as
// TruthOrders and TruthOrderItems, in the 2026 shapes. Personal data the
// account's MissingRoles do not allow is left out, as Amazon never sends it
// to that application.
func (s *Sim) TruthOrders2026(account string) ([]Order2026, error) {
	d, err := s.data(account)
	if err != nil {
		return nil, err
	}
	now := s.dataNow()
	var out []Order2026
	for i := range d.orders.tl.ids {
		if n := d.orders.tl.applied(i, now); n > 0 {
			out = append(out, d.renderOrder2026(i, n))
		}
	}
	slices.SortFunc(out, func(a, b Order2026) int { return strings.Compare(a.OrderID, b.OrderID) })
	return out, nil
}

// TruthOrder2026 returns one order as TruthOrders2026 does, or an error
// wrapping ErrNotFound.
func (s *Sim) TruthOrder2026(account, orderID string) (Order2026, error) {
	d, err := s.data(account)
	if err != nil {
		return Order2026{}, err
	}
	i, n, ok := d.orderAt(orderID, s.dataNow())
	if !ok {
		return Order2026{}, fmt.Errorf("order %s of account %q: %w", orderID, account, ErrNotFound)
	}
	return d.renderOrder2026(i, n), nil
}

// TruthOrderPackages2026 returns the packages of one order, the 2026
// packages[] (merchant-fulfilled orders that shipped; none otherwise),
// or an error wrapping ErrNotFound. v0 has no packages: they are derived
// from the order's shipping events and its own random stream.
func (s *Sim) TruthOrderPackages2026(account, orderID string) ([]Package2026, error) {
	o, err := s.TruthOrder2026(account, orderID)
	if err != nil {
		return nil, err
	}
	return o.Packages, nil
}

// TruthFulfillmentOrders returns every fulfillment order of account with
// its items, shipments, packages and return items, exactly as
// getFulfillmentOrder would answer now, sorted by SellerFulfillmentOrderID.
func (s *Sim) TruthFulfillmentOrders(account string) ([]FulfillmentOrderDetail, error) {
	d, err := s.data(account)
	if err != nil {
		return nil, err
	}
	now := s.dataNow()
	var out []FulfillmentOrderDetail
	for i := range d.fulfill.tl.ids {
		if n := d.fulfill.tl.applied(i, now); n > 0 {
			out = append(out, d.renderFulfillment(i, n, false))
		}
	}
	slices.SortFunc(out, func(a, b FulfillmentOrderDetail) int {
		return strings.Compare(a.FulfillmentOrder.SellerFulfillmentOrderID, b.FulfillmentOrder.SellerFulfillmentOrderID)
	})
	return out, nil
}

// TruthPackageNumbers returns the number of every package that has shipped
// by now, in ascending order: exactly the package numbers found in the
// shipments of TruthFulfillmentOrders, each valid for
// getPackageTrackingDetails.
func (s *Sim) TruthPackageNumbers(account string) ([]int, error) {
	d, err := s.data(account)
	if err != nil {
		return nil, err
	}
	now := s.dataNow()
	var out []int
	f := d.fulfill
	for i := range f.tl.ids {
		for sh := 0; sh < int(f.nShip[i]); sh++ {
			if at := f.shipTime(i, sh); at == 0 || at > now {
				continue
			}
			for p := 0; p < int(f.pkgs[i][sh]); p++ {
				out = append(out, d.packageNumber(i, sh, p))
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// TruthPackageTracking returns a package's tracking as
// getPackageTrackingDetails would answer now, or an error wrapping
// ErrNotFound.
func (s *Sim) TruthPackageTracking(account string, packageNumber int) (PackageTrackingDetails, error) {
	d, err := s.data(account)
	if err != nil {
		return PackageTrackingDetails{}, err
	}
	det, ok := d.renderTracking(packageNumber, s.dataNow())
	if !ok {
		return det, fmt.Errorf("package %d of account %q: %w", packageNumber, account, ErrNotFound)
	}
	return det, nil
}

// TruthServiceJobs returns every service job of account, sorted by
// ServiceJobID.
func (s *Sim) TruthServiceJobs(account string) ([]ServiceJob, error) {
	d, err := s.data(account)
	if err != nil {
		return nil, err
	}
	now := s.dataNow()
	var out []ServiceJob
	for i := range d.jobs.tl.ids {
		if n := d.jobs.tl.applied(i, now); n > 0 {
			out = append(out, d.renderServiceJob(i, n))
		}
	}
	slices.SortFunc(out, func(a, b ServiceJob) int { return strings.Compare(a.ServiceJobID, b.ServiceJobID) })
	return out, nil
}
