package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/jobs/servicejobs"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// upsertServiceJobs maps Amazon's jobs as the service jobs stream does
// (servicejobs.MapServiceJobs, PII kept only when keepPII says so) and
// writes them with store.UpsertServiceJobs.
func upsertServiceJobs(t testing.TB, pool *pgxpool.Pool, accountID string, jobs []spapi.ServiceJob, keepPII ...bool) ([]store.ServiceJobChange, error) {
	changes, _, err := upsertServiceJobsCounted(t, pool, accountID, jobs, keepPII...)
	return changes, err
}

// upsertServiceJobsCounted is upsertServiceJobs through
// store.UpsertServiceJobsCounted.
func upsertServiceJobsCounted(t testing.TB, pool *pgxpool.Pool, accountID string, jobs []spapi.ServiceJob, keepPII ...bool) ([]store.ServiceJobChange, store.ServiceJobsResult, error) {
	t.Helper()
	rows, err := servicejobs.MapServiceJobs(jobs, len(keepPII) > 0 && keepPII[0])
	require.NoError(t, err)
	return store.UpsertServiceJobsCounted(context.Background(), pool, accountID, rows)
}

// testAppt is an appointment in Amazon's JSON shape.
func testAppt(id, status string, start time.Time, techs ...string) map[string]any {
	ts := make([]map[string]any, len(techs))
	for i, t := range techs {
		ts[i] = map[string]any{"technicianId": t, "name": "Tech " + t}
	}
	return map[string]any{
		"appointmentId":       id,
		"appointmentStatus":   status,
		"appointmentTime":     map[string]any{"startTime": start.UTC().Format(time.RFC3339), "durationInMinutes": 90},
		"assignedTechnicians": ts,
	}
}

// testAssocItem is an associated item in Amazon's JSON shape.
func testAssocItem(asin, orderID string, qty int) map[string]any {
	return map[string]any{
		"asin": asin, "title": "Item " + asin, "quantity": qty, "orderId": orderID, "itemStatus": "ACTIVE", "brandName": "Acme",
		"itemDelivery": map[string]any{
			"estimatedDeliveryDate": "2025-01-05T10:00:00Z",
			"itemDeliveryPromise":   map[string]any{"startTime": "2025-01-05T08:00:00Z", "endTime": "2025-01-05T20:00:00Z"},
		},
	}
}

// testServiceJob decodes a job the way the SP-API client does, so Raw holds
// the exact payload. A nil appointments or items leaves the field out.
func testServiceJob(t testing.TB, id, status string, appts, items []map[string]any) spapi.ServiceJob {
	t.Helper()
	m := map[string]any{
		"serviceJobId":       id,
		"serviceOrderId":     "112-0000000-" + id,
		"serviceJobStatus":   status,
		"createTime":         "2025-01-02T03:04:05Z",
		"marketplaceId":      "ATVPDKIKX0DER",
		"storeId":            "store-1",
		"scopeOfWork":        map[string]any{"asin": "B0SERVICE", "title": "TV mounting", "quantity": 1, "requiredSkills": []string{"TV_MOUNTING", "ELECTRICAL"}},
		"seller":             map[string]any{"sellerId": "SELLER1"},
		"serviceJobProvider": map[string]any{"serviceJobProviderId": "PROVIDER1"},
		"preferredAppointmentTimes": []map[string]any{
			{"startTime": "2025-01-06T14:00:00Z", "durationInMinutes": 120},
		},
		"buyer": map[string]any{"buyerId": "BUYER1", "name": "Jane Buyer", "phone": "+1 206 555 0100", "isPrimeMember": true},
		"serviceLocation": map[string]any{
			"serviceLocationType": "IN_HOME",
			"address": map[string]any{
				"name": "Jane Buyer", "addressLine1": "1 Main St", "addressLine2": "Apt 2",
				"city": "Seattle", "stateOrRegion": "WA", "postalCode": "98109", "countryCode": "US", "phone": "+1 206 555 0100",
			},
		},
	}
	if appts != nil {
		m["appointments"] = appts
	}
	if items != nil {
		m["associatedItems"] = items
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	var j spapi.ServiceJob
	require.NoError(t, json.Unmarshal(b, &j))
	return j
}

// minimalServiceJob has nothing but an id.
func minimalServiceJob(t testing.TB, id string) spapi.ServiceJob {
	t.Helper()
	var j spapi.ServiceJob
	require.NoError(t, json.Unmarshal([]byte(`{"serviceJobId":"`+id+`"}`), &j))
	return j
}

// tableVersions maps each row's key to its tuple version, sync_version and
// synced_at.
func tableVersions(t *testing.T, pool *pgxpool.Pool, query string) map[string]rowVersion {
	t.Helper()
	rows, err := pool.Query(context.Background(), query)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]rowVersion{}
	for rows.Next() {
		var id string
		var v rowVersion
		require.NoError(t, rows.Scan(&id, &v.Xmin, &v.SyncVersion, &v.SyncedAt))
		out[id] = v
	}
	require.NoError(t, rows.Err())
	return out
}

type serviceJobVersions struct {
	jobs, appts, items map[string]rowVersion
}

func serviceVersions(t *testing.T, pool *pgxpool.Pool) serviceJobVersions {
	t.Helper()
	return serviceJobVersions{
		jobs:  tableVersions(t, pool, `SELECT service_job_id, xmin::text, sync_version, synced_at FROM service_jobs`),
		appts: tableVersions(t, pool, `SELECT service_job_id || '/' || appointment_id, xmin::text, sync_version, synced_at FROM service_job_appointments`),
		items: tableVersions(t, pool, `SELECT service_job_id || '/' || item_index, xmin::text, sync_version, synced_at FROM service_job_items`),
	}
}

func TestUpsertServiceJobs(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	t0 := time.Date(2025, 1, 6, 14, 0, 0, 0, time.UTC)

	type testBundle struct{ pool *pgxpool.Pool }
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		return &testBundle{pool: dbtest.NewPool(t)}
	}

	t.Run("InsertWritesTypedColumnsOfEveryTable", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		appts := []map[string]any{testAppt("A1", "ACTIVE", t0, "T1", "T2")}
		appts[0]["rescheduledAppointmentId"] = "A0"
		appts[0]["poa"] = map[string]any{
			"appointmentTime":     map[string]any{"startTime": "2025-01-06T14:05:00Z", "durationInMinutes": 80},
			"technicians":         []map[string]any{{"technicianId": "T1", "name": "Tech T1"}},
			"uploadingTechnician": "T1",
			"uploadTime":          "2025-01-06T15:30:00Z",
			"poaType":             "NO_SIGNATURE_DUMMY_POS",
		}
		changes, err := upsertServiceJobs(t, b.pool, "acct", []spapi.ServiceJob{
			testServiceJob(t, "J1", "NOT_SERVICED", appts, []map[string]any{testAssocItem("B0ITEM1", "111-1", 1), testAssocItem("B0ITEM2", "111-1", 2)}),
		})
		require.NoError(t, err)
		require.Len(t, changes, 1)
		c := changes[0]
		require.Equal(t, "J1", c.ServiceJobID)
		require.Equal(t, "NOT_SERVICED", c.ServiceJobStatus)
		require.True(t, c.New)
		require.True(t, c.Open)
		require.Nil(t, c.PreviousServiceJobStatus)
		require.NotNil(t, c.NextAppointmentTime)
		require.True(t, c.NextAppointmentTime.Equal(t0))

		var (
			orderID, status, asin, title, seller, provider, city, state, postal, country, locType string
			qty                                                                                   int
			skills                                                                                []string
			prime                                                                                 bool
			created                                                                               time.Time
			preferred                                                                             []map[string]any
		)
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT service_order_id, service_job_status, scope_of_work_asin, scope_of_work_title,
			seller_id, service_job_provider_id, service_location_city, service_location_state_or_region, service_location_postal_code,
			service_location_country_code, service_location_type, scope_of_work_quantity, scope_of_work_required_skills,
			buyer_is_prime_member, create_time, preferred_appointment_times
			FROM service_jobs WHERE account_id = 'acct' AND service_job_id = 'J1'`).
			Scan(&orderID, &status, &asin, &title, &seller, &provider, &city, &state, &postal, &country, &locType, &qty, &skills, &prime, &created, &preferred))
		require.Equal(t, "112-0000000-J1", orderID)
		require.Equal(t, "NOT_SERVICED", status)
		require.Equal(t, "B0SERVICE", asin)
		require.Equal(t, "TV mounting", title)
		require.Equal(t, "SELLER1", seller)
		require.Equal(t, "PROVIDER1", provider)
		require.Equal(t, []string{"Seattle", "WA", "98109", "US", "IN_HOME"}, []string{city, state, postal, country, locType})
		require.Equal(t, 1, qty)
		require.Equal(t, []string{"TV_MOUNTING", "ELECTRICAL"}, skills)
		require.True(t, prime)
		require.True(t, created.Equal(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)))
		require.Len(t, preferred, 1)
		require.EqualValues(t, 120, preferred[0]["durationInMinutes"])

		var (
			apptStatus, rescheduled, poaType, uploader string
			start, poaStart, poaUpload                 time.Time
			duration, poaDuration                      int
			techIDs                                    []string
			techs, poaTechs                            []map[string]any
		)
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT appointment_status, rescheduled_appointment_id, poa_type, poa_uploading_technician,
			start_time, poa_start_time, poa_upload_time, duration_in_minutes, poa_duration_in_minutes,
			assigned_technician_ids, assigned_technicians, poa_technicians
			FROM service_job_appointments WHERE account_id = 'acct' AND service_job_id = 'J1' AND appointment_id = 'A1'`).
			Scan(&apptStatus, &rescheduled, &poaType, &uploader, &start, &poaStart, &poaUpload, &duration, &poaDuration, &techIDs, &techs, &poaTechs))
		require.Equal(t, "ACTIVE", apptStatus)
		require.Equal(t, "A0", rescheduled)
		require.Equal(t, "NO_SIGNATURE_DUMMY_POS", poaType)
		require.Equal(t, "T1", uploader)
		require.True(t, start.Equal(t0))
		require.True(t, poaStart.Equal(t0.Add(5*time.Minute)))
		require.True(t, poaUpload.Equal(time.Date(2025, 1, 6, 15, 30, 0, 0, time.UTC)))
		require.Equal(t, 90, duration)
		require.Equal(t, 80, poaDuration)
		require.Equal(t, []string{"T1", "T2"}, techIDs)
		require.Len(t, techs, 2)
		require.Len(t, poaTechs, 1)

		var (
			itemASIN, itemOrder, itemStatus, brand string
			itemQty                                int
			eta, promiseStart, promiseEnd          time.Time
		)
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT asin, order_id, item_status, brand_name, quantity,
			item_delivery_estimated_delivery_date, item_delivery_promise_start_time, item_delivery_promise_end_time
			FROM service_job_items WHERE account_id = 'acct' AND service_job_id = 'J1' AND item_index = 1`).
			Scan(&itemASIN, &itemOrder, &itemStatus, &brand, &itemQty, &eta, &promiseStart, &promiseEnd))
		require.Equal(t, []string{"B0ITEM2", "111-1", "ACTIVE", "Acme"}, []string{itemASIN, itemOrder, itemStatus, brand})
		require.Equal(t, 2, itemQty)
		require.True(t, eta.Equal(time.Date(2025, 1, 5, 10, 0, 0, 0, time.UTC)))
		require.True(t, promiseStart.Equal(time.Date(2025, 1, 5, 8, 0, 0, 0, time.UTC)))
		require.True(t, promiseEnd.Equal(time.Date(2025, 1, 5, 20, 0, 0, 0, time.UTC)))
	})

	t.Run("PIIIsLeftOutOfRawByDefaultAndKeptOnOptIn", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name    string
			keepPII []bool // the account's opt-in; none is the default
			wantPII bool
		}{
			{name: "Default", wantPII: false},
			{name: "OptOut", keepPII: []bool{false}, wantPII: false},
			{name: "OptIn", keepPII: []bool{true}, wantPII: true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t)
				_, err := upsertServiceJobs(t, b.pool, "acct", []spapi.ServiceJob{testServiceJob(t, "J1", "NOT_SERVICED", nil, nil)}, tt.keepPII...)
				require.NoError(t, err)
				var raw string
				var buyerID, city *string
				require.NoError(t, b.pool.QueryRow(ctx, `SELECT raw::text, raw->'buyer'->>'buyerId', raw->'serviceLocation'->'address'->>'city' FROM service_jobs`).Scan(&raw, &buyerID, &city))
				for _, pii := range []string{"Jane Buyer", "555 0100", "1 Main St", "Apt 2"} {
					if tt.wantPII {
						require.Contains(t, raw, pii)
					} else {
						require.NotContains(t, raw, pii)
					}
				}
				// What is not PII stays in raw either way.
				require.Equal(t, "BUYER1", *buyerID)
				require.Equal(t, "Seattle", *city)

				// The PII columns are empty by default and filled on opt-in.
				var name, phone, addrName, line1, line2, line3, addrPhone *string
				require.NoError(t, b.pool.QueryRow(ctx, `SELECT buyer_name, buyer_phone, service_location_address_name,
					service_location_address_line1, service_location_address_line2, service_location_address_line3,
					service_location_address_phone FROM service_jobs`).Scan(&name, &phone, &addrName, &line1, &line2, &line3, &addrPhone))
				if !tt.wantPII {
					for _, col := range []*string{name, phone, addrName, line1, line2, line3, addrPhone} {
						require.Nil(t, col)
					}
					return
				}
				require.Equal(t, "Jane Buyer", *name)
				require.Equal(t, "+1 206 555 0100", *phone)
				require.Equal(t, "Jane Buyer", *addrName)
				require.Equal(t, "1 Main St", *line1)
				require.Equal(t, "Apt 2", *line2)
				require.Nil(t, line3, "Amazon sent no third line")
				require.Equal(t, "+1 206 555 0100", *addrPhone)
			})
		}
	})

	t.Run("UnchangedJobsAreNotTouched", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		jobs := []spapi.ServiceJob{
			testServiceJob(t, "J1", "NOT_SERVICED", []map[string]any{testAppt("A1", "ACTIVE", t0, "T1")}, []map[string]any{testAssocItem("B0ITEM1", "111-1", 1)}),
			testServiceJob(t, "J2", "PENDING_SCHEDULE", nil, nil),
		}
		_, err := upsertServiceJobs(t, b.pool, "acct", jobs)
		require.NoError(t, err)
		before := serviceVersions(t, b.pool)
		require.Len(t, before.jobs, 2)
		require.Len(t, before.appts, 1)
		require.Len(t, before.items, 1)

		changes, res, err := upsertServiceJobsCounted(t, b.pool, "acct", jobs)
		require.NoError(t, err)
		require.Empty(t, changes)
		require.Equal(t, store.ServiceJobsResult{}, res)
		require.Equal(t, before, serviceVersions(t, b.pool))
	})

	t.Run("ChangedJobGetsNewSyncVersion", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := upsertServiceJobs(t, b.pool, "acct", []spapi.ServiceJob{
			testServiceJob(t, "J1", "PENDING_SCHEDULE", nil, []map[string]any{testAssocItem("B0ITEM1", "111-1", 1)}),
			testServiceJob(t, "J2", "PENDING_SCHEDULE", nil, nil),
		})
		require.NoError(t, err)
		before := serviceVersions(t, b.pool)

		changes, res, err := upsertServiceJobsCounted(t, b.pool, "acct", []spapi.ServiceJob{
			testServiceJob(t, "J1", "NOT_SERVICED", []map[string]any{testAppt("A1", "ACTIVE", t0, "T1")}, []map[string]any{testAssocItem("B0ITEM1", "111-1", 1)}),
			testServiceJob(t, "J2", "PENDING_SCHEDULE", nil, nil),
		})
		require.NoError(t, err)
		require.Equal(t, store.ServiceJobsResult{AppointmentsWritten: 1}, res)
		require.Len(t, changes, 1)
		c := changes[0]
		require.Equal(t, "J1", c.ServiceJobID)
		require.False(t, c.New)
		require.Equal(t, "PENDING_SCHEDULE", *c.PreviousServiceJobStatus)
		require.Equal(t, "NOT_SERVICED", c.ServiceJobStatus)
		require.True(t, c.Open)

		after := serviceVersions(t, b.pool)
		require.Greater(t, after.jobs["J1"].SyncVersion, before.jobs["J1"].SyncVersion)
		require.Greater(t, after.jobs["J1"].SyncVersion, before.jobs["J2"].SyncVersion)
		require.NotEqual(t, before.jobs["J1"].Xmin, after.jobs["J1"].Xmin)
		require.Equal(t, before.jobs["J2"], after.jobs["J2"])
		// The item did not change, so its row was not touched.
		require.Equal(t, before.items, after.items)
	})

	t.Run("VanishedAppointmentsAndItemsAreDeletedOnlyFromTheirJob", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := upsertServiceJobs(t, b.pool, "acct", []spapi.ServiceJob{
			testServiceJob(t, "J1", "NOT_SERVICED",
				[]map[string]any{testAppt("A1", "ACTIVE", t0, "T1"), testAppt("A2", "ACTIVE", t0.Add(24*time.Hour))},
				[]map[string]any{testAssocItem("B0ITEM1", "111-1", 1), testAssocItem("B0ITEM2", "111-1", 1)}),
			testServiceJob(t, "J2", "NOT_SERVICED", []map[string]any{testAppt("A9", "ACTIVE", t0)}, []map[string]any{testAssocItem("B0ITEM9", "111-9", 1)}),
		})
		require.NoError(t, err)
		before := serviceVersions(t, b.pool)
		require.Len(t, before.appts, 3)
		require.Len(t, before.items, 3)

		// J1 is rescheduled: A1 disappears, A3 replaces it; one item is gone.
		a3 := testAppt("A3", "ACTIVE", t0.Add(48*time.Hour), "T1")
		a3["rescheduledAppointmentId"] = "A1"
		changes, res, err := upsertServiceJobsCounted(t, b.pool, "acct", []spapi.ServiceJob{
			testServiceJob(t, "J1", "NOT_SERVICED",
				[]map[string]any{testAppt("A2", "ACTIVE", t0.Add(24*time.Hour)), a3},
				[]map[string]any{testAssocItem("B0ITEM1", "111-1", 1)}),
		})
		require.NoError(t, err)
		require.Equal(t, store.ServiceJobsResult{AppointmentsWritten: 1, AppointmentsDeleted: 1, ItemsDeleted: 1}, res)
		require.Len(t, changes, 1)
		require.True(t, changes[0].NextAppointmentTime.Equal(t0.Add(24*time.Hour)))

		after := serviceVersions(t, b.pool)
		require.ElementsMatch(t, []string{"J1/A2", "J1/A3", "J2/A9"}, keys(after.appts))
		require.ElementsMatch(t, []string{"J1/0", "J2/0"}, keys(after.items))
		require.Equal(t, before.appts["J1/A2"], after.appts["J1/A2"])
		require.Equal(t, before.appts["J2/A9"], after.appts["J2/A9"])
		require.Equal(t, before.items["J1/0"], after.items["J1/0"])
		var replaces string
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT rescheduled_appointment_id FROM service_job_appointments WHERE appointment_id = 'A3'`).Scan(&replaces))
		require.Equal(t, "A1", replaces)

		// A job that lists no appointments or items any more loses them all.
		_, res, err = upsertServiceJobsCounted(t, b.pool, "acct", []spapi.ServiceJob{testServiceJob(t, "J1", "CANCELLED", nil, nil)})
		require.NoError(t, err)
		require.Equal(t, store.ServiceJobsResult{AppointmentsDeleted: 2, ItemsDeleted: 1}, res)
	})

	t.Run("MissingFieldsStayNull", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		noTime := map[string]any{"appointmentId": "A1"}
		job := minimalServiceJob(t, "J1")
		withAppt := testServiceJob(t, "J2", "NOT_SERVICED", []map[string]any{noTime}, []map[string]any{{"asin": "B0BARE"}})
		changes, err := upsertServiceJobs(t, b.pool, "acct", []spapi.ServiceJob{job, withAppt})
		require.NoError(t, err)
		require.Len(t, changes, 2)
		require.Equal(t, "", changes[0].ServiceJobStatus)
		require.True(t, changes[0].Open, "a job without a status is refreshed")
		require.Nil(t, changes[1].NextAppointmentTime)

		var nulls bool
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT num_nulls(service_order_id, marketplace_id, store_id, service_job_status, create_time,
			scope_of_work_asin, scope_of_work_title, scope_of_work_quantity, scope_of_work_required_skills, seller_id, service_job_provider_id,
			preferred_appointment_times, buyer_is_prime_member, service_location_type, service_location_city, service_location_state_or_region,
			service_location_postal_code, service_location_country_code) = 18
			FROM service_jobs WHERE service_job_id = 'J1'`).Scan(&nulls))
		require.True(t, nulls, "every typed column of a bare job is NULL")
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT num_nulls(appointment_status, start_time, duration_in_minutes, assigned_technician_ids,
			assigned_technicians, rescheduled_appointment_id, poa_type, poa_upload_time, poa_uploading_technician, poa_start_time,
			poa_duration_in_minutes, poa_technicians) = 12
			FROM service_job_appointments WHERE appointment_id = 'A1'`).Scan(&nulls))
		require.True(t, nulls, "every typed column of a bare appointment is NULL")
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT num_nulls(title, quantity, order_id, item_status, brand_name,
			item_delivery_estimated_delivery_date, item_delivery_promise_start_time, item_delivery_promise_end_time) = 8
			FROM service_job_items WHERE service_job_id = 'J2'`).Scan(&nulls))
		require.True(t, nulls, "every typed column of a bare item but asin is NULL")
	})

	t.Run("OpenAndClosedStatuses", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			status string
			open   bool
		}{
			{status: store.ServiceJobStatusNotServiced, open: true},
			{status: store.ServiceJobStatusPendingSchedule, open: true},
			{status: store.ServiceJobStatusNotFulfillable, open: true},
			{status: store.ServiceJobStatusHold, open: true},
			{status: store.ServiceJobStatusPaymentDeclined, open: true},
			{status: "SOMETHING_NEW", open: true},
			{status: store.ServiceJobStatusCompleted, open: false},
			{status: store.ServiceJobStatusCancelled, open: false},
		}
		b := setup(t)
		var jobs []spapi.ServiceJob
		for _, tt := range tests {
			jobs = append(jobs, testServiceJob(t, tt.status, tt.status, nil, nil))
		}
		jobs = append(jobs, minimalServiceJob(t, "NO_STATUS"))
		changes, err := upsertServiceJobs(t, b.pool, "acct", jobs)
		require.NoError(t, err)
		require.Len(t, changes, len(tests)+1)
		wantOpen := []string{"NO_STATUS"}
		for i, tt := range tests {
			require.Equal(t, tt.status, changes[i].ServiceJobID, "changes come in batch order")
			require.Equal(t, tt.open, changes[i].Open, tt.status)
			require.Equal(t, tt.open, store.ServiceJobOpen(tt.status), tt.status)
			if tt.open {
				wantOpen = append(wantOpen, tt.status)
			}
		}
		open, err := store.ListOpenServiceJobs(ctx, b.pool, "acct", 100)
		require.NoError(t, err)
		var got []string
		for _, o := range open {
			got = append(got, o.ServiceJobID)
		}
		require.ElementsMatch(t, wantOpen, got)
	})

	t.Run("ListOpenServiceJobsMostUrgentFirst", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := upsertServiceJobs(t, b.pool, "acct", []spapi.ServiceJob{
			testServiceJob(t, "LATER", "NOT_SERVICED", []map[string]any{testAppt("A1", "ACTIVE", t0.Add(48*time.Hour))}, nil),
			// The cancelled appointment is earlier but does not count.
			testServiceJob(t, "SOON", "NOT_SERVICED", []map[string]any{testAppt("A2", "CANCELLED", t0.Add(-time.Hour)), testAppt("A3", "ACTIVE", t0)}, nil),
			testServiceJob(t, "NONE", "PENDING_SCHEDULE", nil, nil),
			testServiceJob(t, "DONE", "COMPLETED", []map[string]any{testAppt("A4", "COMPLETED", t0.Add(-48*time.Hour))}, nil),
		})
		require.NoError(t, err)
		_, err = upsertServiceJobs(t, b.pool, "other", []spapi.ServiceJob{testServiceJob(t, "OTHER", "NOT_SERVICED", nil, nil)})
		require.NoError(t, err)

		open, err := store.ListOpenServiceJobs(ctx, b.pool, "acct", 10)
		require.NoError(t, err)
		require.Len(t, open, 3)
		require.Equal(t, "SOON", open[0].ServiceJobID)
		require.True(t, open[0].NextAppointmentTime.Equal(t0))
		require.Equal(t, "NOT_SERVICED", open[0].ServiceJobStatus)
		require.Equal(t, "LATER", open[1].ServiceJobID)
		require.Equal(t, "NONE", open[2].ServiceJobID)
		require.Nil(t, open[2].NextAppointmentTime)

		open, err = store.ListOpenServiceJobs(ctx, b.pool, "acct", 1)
		require.NoError(t, err)
		require.Len(t, open, 1)
		require.Equal(t, "SOON", open[0].ServiceJobID)
	})

	t.Run("RepeatedJobInBatchKeepsLastCopy", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		changes, err := upsertServiceJobs(t, b.pool, "acct", []spapi.ServiceJob{
			testServiceJob(t, "J1", "NOT_SERVICED", []map[string]any{testAppt("A1", "ACTIVE", t0)}, nil),
			testServiceJob(t, "J1", "COMPLETED", []map[string]any{testAppt("A1", "COMPLETED", t0)}, nil),
		})
		require.NoError(t, err)
		require.Len(t, changes, 1)
		require.False(t, changes[0].Open)
		var status, apptStatus string
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT j.service_job_status, a.appointment_status FROM service_jobs j JOIN service_job_appointments a USING (account_id, service_job_id)`).Scan(&status, &apptStatus))
		require.Equal(t, "COMPLETED", status)
		require.Equal(t, "COMPLETED", apptStatus)
	})

	t.Run("AccountsAreSeparate", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		j := testServiceJob(t, "J1", "NOT_SERVICED", []map[string]any{testAppt("A1", "ACTIVE", t0)}, []map[string]any{testAssocItem("B0ITEM1", "111-1", 1)})
		_, err := upsertServiceJobs(t, b.pool, "a", []spapi.ServiceJob{j})
		require.NoError(t, err)
		changes, err := upsertServiceJobs(t, b.pool, "b", []spapi.ServiceJob{j})
		require.NoError(t, err)
		require.Len(t, changes, 1)
		require.True(t, changes[0].New)
		// Emptying the job in account b leaves account a's children alone.
		_, err = upsertServiceJobs(t, b.pool, "b", []spapi.ServiceJob{testServiceJob(t, "J1", "NOT_SERVICED", nil, nil)})
		require.NoError(t, err)
		var n int
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM service_job_appointments WHERE account_id = 'a') + (SELECT count(*) FROM service_job_items WHERE account_id = 'a')`).Scan(&n))
		require.Equal(t, 2, n)
	})

	t.Run("EmptyBatchIsANoOp", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		changes, err := upsertServiceJobs(t, b.pool, "acct", nil)
		require.NoError(t, err)
		require.Empty(t, changes)
	})
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
