package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/spsync/spsync/internal/store/internal/dbsqlc"
)

// terminalTrackingStatuses are the currentStatus values of
// getPackageTrackingDetails (seed 004's enum) after which a package's
// tracking no longer changes, so it is not refreshed again:
//
//   - DELIVERED: the recipient has it.
//   - RETURNED: back with the seller/Amazon at the end of a return.
//   - RETURN_RECEIVED_IN_FC: a return was received in the fulfillment center.
//   - REFUND_ISSUED: the return is settled.
//
// Every other value is in flight and keeps being refreshed until the worker's
// age limit: IN_TRANSIT, OUT_FOR_DELIVERY, DELAYED, DELIVERY_ATTEMPTED,
// AVAILABLE_FOR_PICKUP, CUSTOMER_ACTION, UNKNOWN, RETURNING, the PICKUP_*
// values and RETURN_REQUEST_ACCEPTED. UNDELIVERABLE is deliberately not
// terminal: an undeliverable package goes on to RETURNING and RETURNED (as the
// simulator plays it), and stopping there would leave the last events unseen.
// PICKUP_CANCELLED is not terminal either: a cancelled pickup can be
// rescheduled.
var terminalTrackingStatuses = []string{"DELIVERED", "RETURNED", "RETURN_RECEIVED_IN_FC", "REFUND_ISSUED"}

// TerminalTrackingStatuses returns the currentStatus values after which a
// package is not refreshed again (see IsTerminalTrackingStatus).
func TerminalTrackingStatuses() []string { return slices.Clone(terminalTrackingStatuses) }

// IsTerminalTrackingStatus reports whether a package in currentStatus status
// is done: DELIVERED, RETURNED, RETURN_RECEIVED_IN_FC or REFUND_ISSUED.
func IsTerminalTrackingStatus(status string) bool {
	return slices.Contains(terminalTrackingStatuses, status)
}

// PackageTrackingRow is one package_tracking row.
type PackageTrackingRow struct {
	PackageNumber            int             `json:"package_number"`
	TrackingNumber           *string         `json:"tracking_number"`
	CustomerTrackingLink     *string         `json:"customer_tracking_link"`
	CarrierCode              *string         `json:"carrier_code"`
	CarrierPhoneNumber       *string         `json:"carrier_phone_number"`
	CarrierURL               *string         `json:"carrier_url"`
	ShipDate                 *time.Time      `json:"ship_date"`
	EstimatedArrivalDate     *time.Time      `json:"estimated_arrival_date"`
	ShipToAddressCity        *string         `json:"ship_to_address_city"`
	ShipToAddressState       *string         `json:"ship_to_address_state"`
	ShipToAddressCountry     *string         `json:"ship_to_address_country"`
	CurrentStatus            *string         `json:"current_status"`
	CurrentStatusDescription *string         `json:"current_status_description"`
	SignedForBy              *string         `json:"signed_for_by"`
	AdditionalLocationInfo   *string         `json:"additional_location_info"`
	Terminal                 bool            `json:"terminal"`
	Raw                      json.RawMessage `json:"raw"`
}

// TrackingEventRow is one package_tracking_events row.
type TrackingEventRow struct {
	PackageNumber    int             `json:"package_number"`
	EventDate        time.Time       `json:"event_date"`
	EventCode        string          `json:"event_code"`
	Ordinal          int             `json:"ordinal"`
	EventDescription *string         `json:"event_description"`
	City             *string         `json:"city"`
	State            *string         `json:"state"`
	Country          *string         `json:"country"`
	Raw              json.RawMessage `json:"raw"`
}

// TrackingResult tells what UpsertPackageTracking did and what the worker
// needs to schedule the package's next refresh.
type TrackingResult struct {
	PackageNumber int
	// CurrentStatus is the status just stored ("" when Amazon sent none).
	CurrentStatus string
	// PreviousStatus is the status stored before ("" for a new package).
	PreviousStatus string
	// New reports that the package had no tracking stored before.
	New bool
	// Terminal reports that CurrentStatus is final (IsTerminalTrackingStatus):
	// schedule no further refresh.
	Terminal bool
	// Changed reports that the tracking row or any event was written or
	// deleted; false means the answer equals what was stored and nothing moved.
	Changed bool
	// EventsWritten and EventsDeleted count event rows inserted or changed,
	// and events Amazon no longer lists.
	EventsWritten, EventsDeleted int64
	// ShipDate is the package's shipDate, nil when Amazon sent none.
	ShipDate *time.Time
	// FirstSeenAt is when tracking was first stored for the package (database
	// clock), for the worker's age limit.
	FirstSeenAt time.Time
}

// PackageTrackingRows is a getPackageTrackingDetails answer mapped to its
// rows (by the fulfillment stream): the package_tracking row and its events,
// ordinal their position in Amazon's list (UpsertPackageTracking keeps the
// first of a repeated (event_date, event_code)).
type PackageTrackingRows struct {
	Tracking PackageTrackingRow
	Events   []TrackingEventRow
}

// UpsertPackageTracking writes a getPackageTrackingDetails answer of one
// account on db: the package_tracking row and its events, the events replaced
// (new and changed written, unchanged untouched, vanished deleted), one
// statement each. An answer equal to what is stored changes nothing.
func UpsertPackageTracking(ctx context.Context, db DBTX, accountID string, d *PackageTrackingRows) (TrackingResult, error) {
	if d == nil {
		return TrackingResult{}, fmt.Errorf("upsert package tracking of account %s: no answer", accountID)
	}
	row := d.Tracking
	fail := func(what string, err error) (TrackingResult, error) {
		return TrackingResult{}, fmt.Errorf("package %d of account %s: %s: %w", row.PackageNumber, accountID, what, err)
	}
	payload, err := json.Marshal([]PackageTrackingRow{row})
	if err != nil {
		return fail("encode", err)
	}
	q := dbsqlc.New()
	h, err := q.UpsertPackageTracking(ctx, db, dbsqlc.UpsertPackageTrackingParams{Rows: payload, AccountID: accountID})
	if err != nil {
		return fail("upsert", err)
	}
	// One row per (event_date, event_code), the first Amazon listed: one
	// statement cannot write a key twice (Postgres keeps microseconds).
	type eventKey struct {
		at   int64
		code string
	}
	events := dedupe(d.Events, func(e *TrackingEventRow) eventKey { return eventKey{e.EventDate.UnixMicro(), e.EventCode} },
		func(_, _ *TrackingEventRow) bool { return false })
	payload, err = json.Marshal(events)
	if err != nil {
		return fail("encode events", err)
	}
	er, err := q.ReplacePackageTrackingEvents(ctx, db, dbsqlc.ReplacePackageTrackingEventsParams{Rows: payload, AccountID: accountID, PackageNumber: int32(row.PackageNumber)})
	if err != nil {
		return fail("replace events", err)
	}
	return TrackingResult{
		PackageNumber:  row.PackageNumber,
		CurrentStatus:  deref(row.CurrentStatus),
		PreviousStatus: deref(h.PreviousCurrentStatus),
		New:            h.IsNew,
		Terminal:       row.Terminal,
		Changed:        h.Written || er.Written > 0 || er.Deleted > 0,
		EventsWritten:  er.Written,
		EventsDeleted:  er.Deleted,
		ShipDate:       row.ShipDate,
		FirstSeenAt:    h.FirstSeenAt,
	}, nil
}

// OpenPackage is a package whose tracking is not terminal yet.
type OpenPackage struct {
	PackageNumber int
	CurrentStatus string
	ShipDate      *time.Time
	FirstSeenAt   time.Time
	SyncedAt      time.Time
}

// ListOpenPackageTracking returns the packages of q.AccountID whose
// tracking is not terminal, not refreshed since q.UntouchedSince and newer than
// q.NewerThan (by the ship date, else from when tracking was first stored),
// longest unrefreshed first: the live packages a reconciliation makes sure
// have a pending refresh.
func ListOpenPackageTracking(ctx context.Context, db DBTX, q ReconcileQuery) ([]OpenPackage, error) {
	untouched, newer := q.bounds()
	rows, err := dbsqlc.New().ListOpenPackageTracking(ctx, db, dbsqlc.ListOpenPackageTrackingParams{
		AccountID: q.AccountID, UntouchedSince: untouched, NewerThan: newer, MaxRows: int32(q.Limit),
	})
	if err != nil {
		return nil, fmt.Errorf("list open package tracking of account %s: %w", q.AccountID, err)
	}
	out := make([]OpenPackage, len(rows))
	for i, r := range rows {
		out[i] = OpenPackage{int(r.PackageNumber), deref(r.CurrentStatus), r.ShipDate, r.FirstSeenAt, r.SyncedAt}
	}
	return out, nil
}
