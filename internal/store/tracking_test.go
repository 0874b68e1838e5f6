package store_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

var trackT0 = time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC)

// trackEvent is an event at trackT0 + hours.
func trackEvent(hours int, code, desc string) map[string]any {
	return map[string]any{
		"eventDate":        trackT0.Add(time.Duration(hours) * time.Hour).Format(time.RFC3339),
		"eventAddress":     map[string]any{"city": "Phoenix", "state": "AZ", "country": "US"},
		"eventCode":        code,
		"eventDescription": desc,
	}
}

// testTracking decodes a getPackageTrackingDetails payload; nil events means
// one pickup event.
func testTracking(t testing.TB, pkg int, status string, events []map[string]any) *spapi.PackageTrackingDetails {
	t.Helper()
	if events == nil {
		events = []map[string]any{trackEvent(0, "EVENT_102", "Shipment picked up")}
	}
	m := map[string]any{
		"packageNumber":            pkg,
		"trackingNumber":           "1Z999",
		"customerTrackingLink":     "https://www.swiship.com/track?id=1Z999",
		"carrierCode":              "UPS",
		"carrierPhoneNumber":       "+1 800-742-5877",
		"carrierURL":               "https://www.ups.com",
		"shipDate":                 trackT0.Format(time.RFC3339),
		"estimatedArrivalDate":     trackT0.Add(96 * time.Hour).Format(time.RFC3339),
		"shipToAddress":            map[string]any{"city": "Seattle", "state": "WA", "country": "US"},
		"currentStatus":            status,
		"currentStatusDescription": "desc " + status,
		"trackingEvents":           events,
	}
	if status == "DELIVERED" {
		m["signedForBy"] = "Jane"
		m["additionalLocationInfo"] = "FRONT_DOOR"
	}
	d := fulfillmentDecode[spapi.PackageTrackingDetails](t, m)
	return &d
}

func trackingVersions(t *testing.T, pool *pgxpool.Pool) map[string]map[string]rowVersion {
	t.Helper()
	return map[string]map[string]rowVersion{
		"header": fulfillmentTableVersions(t, pool, "package_tracking", "package_number"),
		"events": fulfillmentTableVersions(t, pool, "package_tracking_events", "package_number || '/' || event_code || '/' || extract(epoch from event_date)::bigint"),
	}
}

func TestIsTerminalTrackingStatus(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		status   string
		terminal bool
	}{
		{"DELIVERED", true},
		{"RETURNED", true},
		{"RETURN_RECEIVED_IN_FC", true},
		{"REFUND_ISSUED", true},
		{"IN_TRANSIT", false},
		{"OUT_FOR_DELIVERY", false},
		{"DELAYED", false},
		{"DELIVERY_ATTEMPTED", false},
		{"UNDELIVERABLE", false},
		{"RETURNING", false},
		{"AVAILABLE_FOR_PICKUP", false},
		{"CUSTOMER_ACTION", false},
		{"UNKNOWN", false},
		{"PICKUP_CANCELLED", false},
		{"", false},
	} {
		require.Equal(t, tt.terminal, store.IsTerminalTrackingStatus(tt.status), tt.status)
	}
	require.ElementsMatch(t, []string{"DELIVERED", "RETURNED", "RETURN_RECEIVED_IN_FC", "REFUND_ISSUED"}, store.TerminalTrackingStatuses())
}

func TestUpsertPackageTracking(t *testing.T) {
	t.Parallel()

	ctx := context.Background()

	type testBundle struct{ pool *pgxpool.Pool }
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		return &testBundle{pool: dbtest.NewPool(t)}
	}

	t.Run("NewPackageIsWrittenWithTypedColumnsAndEvents", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		res, err := store.UpsertPackageTracking(ctx, b.pool, "acct", packageTrackingRows(t, testTracking(t, 101, "IN_TRANSIT", []map[string]any{
			trackEvent(0, "EVENT_102", "Shipment picked up"),
			trackEvent(8, "EVENT_201", "Arrival scan"),
		})))
		require.NoError(t, err)
		require.True(t, res.New)
		require.True(t, res.Changed)
		require.False(t, res.Terminal)
		require.Equal(t, "IN_TRANSIT", res.CurrentStatus)
		require.Empty(t, res.PreviousStatus)
		require.Equal(t, int64(2), res.EventsWritten)
		require.True(t, res.ShipDate.Equal(trackT0))
		require.False(t, res.FirstSeenAt.IsZero())

		var (
			tracking, carrier, phone, url, city, state, country, status string
			signed, location                                            *string
			terminal                                                    bool
			ship, eta                                                   time.Time
		)
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT tracking_number, carrier_code, carrier_phone_number, carrier_url,
			ship_to_address_city, ship_to_address_state, ship_to_address_country, current_status, signed_for_by, additional_location_info,
			terminal, ship_date, estimated_arrival_date FROM package_tracking WHERE account_id = 'acct' AND package_number = 101`).
			Scan(&tracking, &carrier, &phone, &url, &city, &state, &country, &status, &signed, &location, &terminal, &ship, &eta))
		require.Equal(t, "1Z999", tracking)
		require.Equal(t, "UPS", carrier)
		require.Equal(t, "+1 800-742-5877", phone)
		require.Equal(t, "https://www.ups.com", url)
		require.Equal(t, []string{"Seattle", "WA", "US"}, []string{city, state, country})
		require.Equal(t, "IN_TRANSIT", status)
		require.Nil(t, signed)
		require.Nil(t, location)
		require.False(t, terminal)
		require.True(t, ship.Equal(trackT0))
		require.True(t, eta.Equal(trackT0.Add(96*time.Hour)))

		rows, err := b.pool.Query(ctx, `SELECT event_code, ordinal, event_description, city, event_date FROM package_tracking_events
			WHERE account_id = 'acct' AND package_number = 101 ORDER BY ordinal`)
		require.NoError(t, err)
		defer rows.Close()
		var codes []string
		for rows.Next() {
			var code, desc, city string
			var ordinal int
			var at time.Time
			require.NoError(t, rows.Scan(&code, &ordinal, &desc, &city, &at))
			require.Equal(t, len(codes)+1, ordinal)
			require.Equal(t, "Phoenix", city)
			codes = append(codes, code)
		}
		require.NoError(t, rows.Err())
		require.Equal(t, []string{"EVENT_102", "EVENT_201"}, codes)
	})

	t.Run("UnchangedAnswerTouchesNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := store.UpsertPackageTracking(ctx, b.pool, "acct", packageTrackingRows(t, testTracking(t, 101, "IN_TRANSIT", nil)))
		require.NoError(t, err)
		before := trackingVersions(t, b.pool)
		res, err := store.UpsertPackageTracking(ctx, b.pool, "acct", packageTrackingRows(t, testTracking(t, 101, "IN_TRANSIT", nil)))
		require.NoError(t, err)
		require.False(t, res.New)
		require.False(t, res.Changed)
		require.Zero(t, res.EventsWritten)
		require.Zero(t, res.EventsDeleted)
		require.Equal(t, "IN_TRANSIT", res.PreviousStatus)
		require.Equal(t, before, trackingVersions(t, b.pool))
	})

	t.Run("EventsAreReplacedAndStatusMoves", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		first, err := store.UpsertPackageTracking(ctx, b.pool, "acct", packageTrackingRows(t, testTracking(t, 101, "IN_TRANSIT", []map[string]any{
			trackEvent(0, "EVENT_102", "Shipment picked up"),
			trackEvent(8, "EVENT_201", "Arrival scan"),
		})))
		require.NoError(t, err)
		before := trackingVersions(t, b.pool)

		res, err := store.UpsertPackageTracking(ctx, b.pool, "acct", packageTrackingRows(t, testTracking(t, 101, "DELIVERED", []map[string]any{
			trackEvent(0, "EVENT_102", "Shipment picked up"),
			trackEvent(20, "EVENT_302", "Out for delivery"),
			trackEvent(24, "EVENT_301", "Delivered"),
		})))
		require.NoError(t, err)
		require.True(t, res.Changed)
		require.True(t, res.Terminal)
		require.False(t, res.New)
		require.Equal(t, "IN_TRANSIT", res.PreviousStatus)
		require.Equal(t, "DELIVERED", res.CurrentStatus)
		require.Equal(t, int64(2), res.EventsWritten)
		require.Equal(t, int64(1), res.EventsDeleted)
		require.True(t, res.FirstSeenAt.Equal(first.FirstSeenAt), "first_seen_at never moves")

		after := trackingVersions(t, b.pool)
		require.Len(t, after["events"], 3)
		pickup := "101/EVENT_102/" + fulfillmentItoa(trackT0.Unix())
		require.Equal(t, before["events"][pickup], after["events"][pickup], "an unchanged event is not rewritten")
		require.Greater(t, after["header"]["101"].SyncVersion, before["header"]["101"].SyncVersion)

		var terminal bool
		var signed, location string
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT terminal, signed_for_by, additional_location_info FROM package_tracking`).Scan(&terminal, &signed, &location))
		require.True(t, terminal)
		require.Equal(t, "Jane", signed)
		require.Equal(t, "FRONT_DOOR", location)

		open, err := store.ListOpenPackageTracking(ctx, b.pool, store.ReconcileQuery{AccountID: "acct", Limit: 10})
		require.NoError(t, err)
		require.Empty(t, open)
	})

	t.Run("RepeatedEventIsStoredOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		res, err := store.UpsertPackageTracking(ctx, b.pool, "acct", packageTrackingRows(t, testTracking(t, 101, "IN_TRANSIT", []map[string]any{
			trackEvent(0, "EVENT_102", "Shipment picked up"),
			trackEvent(0, "EVENT_102", "Shipment picked up (again)"),
			trackEvent(0, "EVENT_201", "Arrival scan"),
		})))
		require.NoError(t, err)
		require.Equal(t, int64(2), res.EventsWritten)
		var desc string
		var ordinal int
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT event_description, ordinal FROM package_tracking_events WHERE event_code = 'EVENT_102'`).Scan(&desc, &ordinal))
		require.Equal(t, "Shipment picked up", desc)
		require.Equal(t, 1, ordinal)
	})

	t.Run("AbsentFieldsStayNull", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		d := fulfillmentDecode[spapi.PackageTrackingDetails](t, map[string]any{"packageNumber": 7})
		res, err := store.UpsertPackageTracking(ctx, b.pool, "acct", packageTrackingRows(t, &d))
		require.NoError(t, err)
		require.True(t, res.New)
		require.False(t, res.Terminal)
		require.Nil(t, res.ShipDate)
		var tracking, status, city *string
		var ship *time.Time
		var events int
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT tracking_number, current_status, ship_to_address_city, ship_date,
			(SELECT count(*) FROM package_tracking_events) FROM package_tracking`).Scan(&tracking, &status, &city, &ship, &events))
		require.Nil(t, tracking)
		require.Nil(t, status)
		require.Nil(t, city)
		require.Nil(t, ship)
		require.Zero(t, events)

		open, err := store.ListOpenPackageTracking(ctx, b.pool, store.ReconcileQuery{AccountID: "acct", Limit: 10})
		require.NoError(t, err)
		require.Len(t, open, 1)
		require.Equal(t, 7, open[0].PackageNumber)
	})

	t.Run("StoredTerminalFlagFollowsStatus", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for i, status := range []string{"DELIVERED", "RETURNED", "UNDELIVERABLE", "OUT_FOR_DELIVERY"} {
			res, err := store.UpsertPackageTracking(ctx, b.pool, "acct", packageTrackingRows(t, testTracking(t, 500+i, status, nil)))
			require.NoError(t, err)
			var terminal bool
			require.NoError(t, b.pool.QueryRow(ctx, `SELECT terminal FROM package_tracking WHERE package_number = $1`, 500+i).Scan(&terminal))
			require.Equal(t, store.IsTerminalTrackingStatus(status), terminal, status)
			require.Equal(t, terminal, res.Terminal, status)
		}
		open, err := store.ListOpenPackageTracking(ctx, b.pool, store.ReconcileQuery{AccountID: "acct", Limit: 10})
		require.NoError(t, err)
		require.Len(t, open, 2)
	})

	t.Run("AccountsAreSeparate", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := store.UpsertPackageTracking(ctx, b.pool, "a", packageTrackingRows(t, testTracking(t, 101, "IN_TRANSIT", nil)))
		require.NoError(t, err)
		res, err := store.UpsertPackageTracking(ctx, b.pool, "b", packageTrackingRows(t, testTracking(t, 101, "IN_TRANSIT", nil)))
		require.NoError(t, err)
		require.True(t, res.New)
		require.Equal(t, int64(1), res.EventsWritten)
	})
}

func fulfillmentItoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestListOpenPackageTrackingBounds checks the reconciliation's window: only
// live packages not refreshed since UntouchedSince, only those newer than
// NewerThan (by the ship date, else by first_seen_at).
func TestListOpenPackageTrackingBounds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.NewPool(t)
	// 101 and 102 ship now, 103 shipped 40 days ago, 104 has no ship date.
	fresh := func(pkg int) *spapi.PackageTrackingDetails {
		d := testTracking(t, pkg, "IN_TRANSIT", nil)
		at := time.Now().UTC()
		d.ShipDate = &at
		return d
	}
	old := testTracking(t, 103, "IN_TRANSIT", nil)
	longAgo := time.Now().Add(-40 * 24 * time.Hour).UTC()
	old.ShipDate = &longAgo
	noShip := testTracking(t, 104, "IN_TRANSIT", nil)
	noShip.ShipDate = nil
	for _, d := range []*spapi.PackageTrackingDetails{fresh(101), fresh(102), old, noShip} {
		_, err := store.UpsertPackageTracking(ctx, pool, "acct", packageTrackingRows(t, d))
		require.NoError(t, err)
	}
	// 102 and 104 went unrefreshed for 9 hours; 104 was first seen 31 days ago.
	_, err := pool.Exec(ctx, `UPDATE package_tracking SET synced_at = synced_at - interval '9 hours' WHERE package_number IN (102, 103, 104)`)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `UPDATE package_tracking SET first_seen_at = first_seen_at - interval '31 days' WHERE package_number = 104`)
	require.NoError(t, err)

	eightHoursAgo, monthAgo := time.Now().Add(-8*time.Hour), time.Now().Add(-30*24*time.Hour)
	for _, tc := range []struct {
		name  string
		query store.ReconcileQuery
		want  []int
	}{
		{"Everything", store.ReconcileQuery{Limit: 10}, []int{101, 102, 103, 104}},
		{"UntouchedOnly", store.ReconcileQuery{UntouchedSince: eightHoursAgo, Limit: 10}, []int{102, 103, 104}},
		{"NewerOnly", store.ReconcileQuery{NewerThan: monthAgo, Limit: 10}, []int{101, 102}},
		{"UntouchedAndNewer", store.ReconcileQuery{UntouchedSince: eightHoursAgo, NewerThan: monthAgo, Limit: 10}, []int{102}},
		{"Limit", store.ReconcileQuery{Limit: 1}, nil},
		{"OtherAccount", store.ReconcileQuery{AccountID: "other", Limit: 10}, []int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.query
			if q.AccountID == "" {
				q.AccountID = "acct"
			}
			open, err := store.ListOpenPackageTracking(ctx, pool, q)
			require.NoError(t, err)
			got := []int{}
			for _, p := range open {
				got = append(got, p.PackageNumber)
			}
			if tc.want == nil {
				require.Len(t, got, q.Limit)
				return
			}
			require.ElementsMatch(t, tc.want, got)
		})
	}
}
