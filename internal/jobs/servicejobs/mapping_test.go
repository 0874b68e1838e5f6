package servicejobs

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
)

// TestMapServiceJob covers what the mapping decides without a database:
// the PII opt-in, the appointments kept (keyed, one per id, the last copy)
// and the next open appointment reported back to the refresh schedule.
func TestMapServiceJob(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	appt := func(id, status string, start time.Time) map[string]any {
		return map[string]any{"appointmentId": id, "appointmentStatus": status,
			"appointmentTime": map[string]any{"startTime": start.Format(time.RFC3339), "durationInMinutes": 60}}
	}
	decode := func(t *testing.T, m map[string]any) spapi.ServiceJob {
		t.Helper()
		b, err := json.Marshal(m)
		require.NoError(t, err)
		var j spapi.ServiceJob
		require.NoError(t, json.Unmarshal(b, &j))
		return j
	}
	job := map[string]any{
		"serviceJobId":     "J1",
		"serviceJobStatus": "NOT_SERVICED",
		"buyer":            map[string]any{"buyerId": "B1", "name": "Jane Buyer", "phone": "555 0100", "isPrimeMember": true},
		"serviceLocation": map[string]any{"serviceLocationType": "IN_HOME",
			"address": map[string]any{"name": "Jane Buyer", "addressLine1": "1 Main St", "city": "Seattle", "countryCode": "US"}},
		"appointments": []any{
			appt("A1", "ACTIVE", t0.Add(48*time.Hour)),
			appt("", "ACTIVE", t0),                     // no id: not a row
			appt("A2", "CANCELLED", t0.Add(time.Hour)), // closed: not next
			appt("A3", "ACTIVE", t0.Add(72*time.Hour)),
			appt("A3", "ACTIVE", t0.Add(24*time.Hour)), // repeated: the last copy wins
		},
		"associatedItems": []any{map[string]any{"asin": "B0001", "quantity": 1}},
	}
	tests := []struct {
		name    string
		keepPII bool
	}{
		{"PIIRemoved", false},
		{"PIIKept", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := MapServiceJobs([]spapi.ServiceJob{decode(t, job)}, tt.keepPII)
			require.NoError(t, err)
			require.Len(t, rows, 1)
			r := rows[0]

			require.Equal(t, "J1", r.Job.ServiceJobID)
			require.Equal(t, "Seattle", *r.Job.ServiceLocationCity)
			require.Equal(t, true, *r.Job.BuyerIsPrimeMember)
			require.Nil(t, r.Job.ServiceOrderID, "absent text is NULL")
			for _, pii := range []string{"Jane Buyer", "555 0100", "1 Main St"} {
				if tt.keepPII {
					require.Contains(t, string(r.Job.Raw), pii)
				} else {
					require.NotContains(t, string(r.Job.Raw), pii)
				}
			}
			if tt.keepPII {
				require.Equal(t, "Jane Buyer", *r.Job.BuyerName)
				require.Equal(t, "555 0100", *r.Job.BuyerPhone)
				require.Equal(t, "1 Main St", *r.Job.ServiceLocationAddressLine1)
			} else {
				require.Nil(t, r.Job.BuyerName)
				require.Nil(t, r.Job.BuyerPhone)
				require.Nil(t, r.Job.ServiceLocationAddressLine1)
			}

			var ids []string
			for _, a := range r.Appointments {
				ids = append(ids, a.AppointmentID)
			}
			require.Equal(t, []string{"A1", "A2", "A3"}, ids)
			require.Equal(t, t0.Add(24*time.Hour), *r.Appointments[2].StartTime)
			require.Equal(t, t0.Add(24*time.Hour), *r.NextAppointment)
			require.Len(t, r.Items, 1)
			require.Equal(t, 0, r.Items[0].ItemIndex)
		})
	}
}
