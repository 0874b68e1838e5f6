package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/jobstest"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
)

// pageMutator sits between the client and the simulator and rewrites every
// getOrders answer to a NextToken request (page 2 onwards), remembering
// the order ids the page really held.
type pageMutator struct {
	target http.Handler
	mutate func(t *testing.T, body []byte) []byte
	t      *testing.T

	mu        sync.Mutex
	badOrders map[string]bool
	edited    []string // the first order of every mutated page
	served    int
}

func (m *pageMutator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/orders/v0/orders" || r.URL.Query().Get("NextToken") == "" {
		m.target.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	m.target.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	if rec.Code == http.StatusOK {
		var page struct {
			Payload struct {
				Orders []struct {
					AmazonOrderID string `json:"AmazonOrderId"`
				}
			} `json:"payload"`
		}
		if json.Unmarshal(body, &page) == nil {
			m.mu.Lock()
			for _, o := range page.Payload.Orders {
				m.badOrders[o.AmazonOrderID] = true
			}
			if len(page.Payload.Orders) > 0 {
				m.edited = append(m.edited, page.Payload.Orders[0].AmazonOrderID)
			}
			m.served++
			m.mu.Unlock()
		}
		body = m.mutate(m.t, body)
	}
	for k, v := range rec.Header() {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(rec.Code)
	_, _ = io.Copy(w, bytes.NewReader(body))
}

// editOrder applies edit to the first order of a getOrders page body.
func editOrder(edit func(o map[string]any)) func(*testing.T, []byte) []byte {
	return func(t *testing.T, body []byte) []byte {
		var doc map[string]any
		require.NoError(t, json.Unmarshal(body, &doc))
		list := doc["payload"].(map[string]any)["Orders"].([]any)
		edit(list[0].(map[string]any))
		out, err := json.Marshal(doc)
		require.NoError(t, err)
		return out
	}
}

// editAllOrders applies edit to every order of a getOrders page body.
func editAllOrders(edit func(o map[string]any)) func(*testing.T, []byte) []byte {
	return func(t *testing.T, body []byte) []byte {
		var doc map[string]any
		require.NoError(t, json.Unmarshal(body, &doc))
		for _, o := range doc["payload"].(map[string]any)["Orders"].([]any) {
			edit(o.(map[string]any))
		}
		out, err := json.Marshal(doc)
		require.NoError(t, err)
		return out
	}
}

// TestBadSPAPIInput serves a getOrders page 2 that is odd or broken in one
// way each: the poll must neither panic nor store half of a page. One odd
// record never loses its page: an enum value spsync does not know is stored
// verbatim, an optional field that cannot be read is NULL, and an order
// without its key is quarantined while the rest of the page commits and the
// cursor moves. A page that is broken as a whole (nothing in it decodes, a
// body over the size limit) is a clear error with the page's transaction
// rolled back: page 1 stays, nothing of page 2, the cursor unmoved.
func TestBadSPAPIInput(t *testing.T) {
	t.Parallel()
	const pageSize = 20
	cases := []struct {
		name    string
		mutate  func(*testing.T, []byte) []byte
		wantErr string // "" means the page is stored
		// check, for a stored page, asserts what became of the edited orders.
		check func(t *testing.T, b *jobstest.Bundle, edited []string, stored map[string]string)
		// quarantined is the reason the edited orders are quarantined with, "" when
		// they are stored.
		quarantined string
	}{
		{name: "UnknownEnumValues", mutate: editOrder(func(o map[string]any) {
			o["OrderStatus"] = "TeleportedToMars"
			o["FulfillmentChannel"] = "Drone"
			o["OrderType"] = "QuantumOrder"
		}), check: func(t *testing.T, b *jobstest.Bundle, edited []string, stored map[string]string) {
			for _, id := range edited {
				require.Equal(t, "TeleportedToMars", stored[id], "order %s stored with the unknown status verbatim", id)
			}
		}},
		{name: "WrongType", mutate: editOrder(func(o map[string]any) { o["NumberOfItemsShipped"] = "many" }),
			check: func(t *testing.T, b *jobstest.Bundle, edited []string, stored map[string]string) {
				for _, id := range edited {
					var n *int
					var raw string
					require.NoError(t, b.Pool.QueryRow(context.Background(),
						`SELECT number_of_items_shipped, raw->>'NumberOfItemsShipped' FROM orders WHERE amazon_order_id = $1`, id).Scan(&n, &raw))
					require.Nil(t, n, "order %s: the unreadable count is NULL", id)
					require.Equal(t, "many", raw, "order %s: raw keeps what Amazon sent", id)
				}
			}},
		{name: "MissingAmazonOrderId", mutate: editOrder(func(o map[string]any) { delete(o, "AmazonOrderId") }), quarantined: "AmazonOrderId"},
		{name: "MissingLastUpdateDate", mutate: editOrder(func(o map[string]any) { delete(o, "LastUpdateDate") }), quarantined: "LastUpdateDate"},
		{name: "NothingDecodes", mutate: editAllOrders(func(o map[string]any) { delete(o, "AmazonOrderId") }), wantErr: "none of the 20 records"},
		{name: "FiftyMegabyteBody", mutate: func(t *testing.T, body []byte) []byte {
			pad := strings.Repeat("A", 50<<20)
			return []byte(`{"payload":{"Orders":[{"AmazonOrderId":"111-0000000-0000000","Padding":"` + pad + `"}]}}`)
		}, wantErr: "exceeds size limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := settledDataset(99, 100)
			b := jobstest.New(t, jobstest.Options{Sim: d.options()})
			m := &pageMutator{target: b.Sim, mutate: tc.mutate, t: t, badOrders: map[string]bool{}}
			proxy := httptest.NewServer(m)
			t.Cleanup(proxy.Close)
			acctID := sim.DemoAccount.ID
			acct := b.Deps.Accounts[acctID]
			client, err := spapi.NewClient(spapi.Options{
				Region: spapi.RegionNA, Endpoint: proxy.URL, LWAEndpoint: proxy.URL + "/auth/o2/token",
				Credentials: spapi.Credentials{ClientID: sim.DemoAccount.ClientID, ClientSecret: sim.DemoAccount.ClientSecret, RefreshToken: sim.DemoAccount.RefreshToken},
				OnResponse:  jobs.ObserveResponses(b.Deps.Budget, acct),
			})
			require.NoError(t, err)
			acct.Client = client

			workers := river.NewWorkers()
			orders.NewStream(orders.Options{PageSize: pageSize}).Register(workers, b.Deps)
			rc := b.StartClient(t, workers, nil)
			ctx := context.Background()
			_, err = rc.Insert(ctx, orders.PollArgs{AccountID: acctID}, nil)
			require.NoError(t, err)

			var state, lastErr string
			waitFor(t, time.Minute, "the poll to finish or fail", func() (bool, error) {
				err := b.Pool.QueryRow(ctx, `SELECT state::text, coalesce(errors[array_length(errors, 1)]->>'error', '')
					FROM river_job WHERE kind = 'orders_poll'`).Scan(&state, &lastErr)
				return state == "completed" || lastErr != "", err
			})
			require.NotContains(t, strings.ToLower(lastErr), "panic", "the poll panicked")
			require.Positive(t, m.served, "page 2 was served")

			stored := map[string]string{}
			rows, err := b.Pool.Query(ctx, `SELECT amazon_order_id, coalesce(order_status, '') FROM orders`)
			require.NoError(t, err)
			for rows.Next() {
				var id, st string
				require.NoError(t, rows.Scan(&id, &st))
				stored[id] = st
			}
			require.NoError(t, rows.Err())
			requireOrphanFree(t, b.Pool)

			if tc.wantErr == "" {
				require.Equal(t, "completed", state, "last error: %s", lastErr)
				truth, err := b.Sim.TruthOrders(acctID)
				require.NoError(t, err)
				m.mu.Lock()
				edited := append([]string(nil), m.edited...)
				m.mu.Unlock()
				require.NotEmpty(t, edited)
				var cursorRows int
				require.NoError(t, b.Pool.QueryRow(ctx, `SELECT count(*) FROM sync_cursors WHERE cursor_at IS NOT NULL`).Scan(&cursorRows))
				require.Equal(t, 1, cursorRows, "the cursor moved past the odd pages")
				if tc.quarantined == "" {
					require.Len(t, stored, len(truth))
					tc.check(t, b, edited, stored)
					t.Logf("%s: %d odd orders stored", tc.name, len(edited))
					return
				}
				// Each edited order is quarantined, every other order stored.
				require.Len(t, stored, len(truth)-len(edited))
				for _, id := range edited {
					require.NotContains(t, stored, id)
				}
				var n int
				var reason string
				require.NoError(t, b.Pool.QueryRow(ctx, `SELECT count(*), min(reason) FROM quarantined_records WHERE operation = 'getOrders'`).Scan(&n, &reason))
				require.Equal(t, len(edited), n, "one quarantined record per odd order")
				require.Contains(t, reason, tc.quarantined)
				t.Logf("%s: %d orders quarantined (%s), the rest stored", tc.name, n, reason)
				return
			}
			require.NotEqual(t, "completed", state)
			require.Contains(t, lastErr, tc.wantErr, "the error names the problem")
			require.Len(t, stored, pageSize, "page 1 stored, nothing of page 2")
			for id := range stored {
				require.False(t, m.badOrders[id], "order %s of the broken page was stored", id)
			}
			var cursorRows int
			require.NoError(t, b.Pool.QueryRow(ctx, `SELECT count(*) FROM sync_cursors WHERE cursor_at IS NOT NULL`).Scan(&cursorRows))
			require.Zero(t, cursorRows, "the cursor moved past a page that was not stored")
			var pages int
			require.NoError(t, b.Pool.QueryRow(ctx, `SELECT pages FROM walk_progress WHERE stream = 'orders'`).Scan(&pages))
			require.Equal(t, 1, pages, "progress stays at the last stored page")
			t.Logf("%s: %s", tc.name, lastErr)
		})
	}
}
