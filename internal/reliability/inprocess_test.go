package reliability

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sim"
)

// servedSim is a simulator served in the test process (so the test can
// switch faults and read stats), remembering every access token it issued.
type servedSim struct {
	*sim.Sim
	URL string

	mu     sync.Mutex
	tokens []string
}

// serveSim serves a simulator for the dataset d, with opts applied on top.
func serveSim(t *testing.T, d dataset, adjust func(*sim.Options)) *servedSim {
	t.Helper()
	o := d.options()
	if adjust != nil {
		adjust(&o)
	}
	s, err := sim.New(o)
	require.NoError(t, err)
	ss := &servedSim{Sim: s}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/auth/o2/token") {
			s.ServeHTTP(w, r)
			return
		}
		rec := &teeWriter{ResponseWriter: w}
		s.ServeHTTP(rec, r)
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if json.Unmarshal(rec.body.Bytes(), &tok) == nil && tok.AccessToken != "" {
			ss.mu.Lock()
			ss.tokens = append(ss.tokens, tok.AccessToken)
			ss.mu.Unlock()
		}
	}))
	t.Cleanup(srv.Close)
	ss.URL = srv.URL
	return ss
}

// accessTokens returns every access token issued so far.
func (s *servedSim) accessTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokens...)
}

type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (w *teeWriter) Write(p []byte) (int, error) {
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}

// synced reports whether the worker's tables hold as many orders, items
// and service jobs as the truth: the condition to stop a running worker.
func synced(t *testing.T, poolCount func(string) (int, error), truth *sim.Sim, account string) func() (bool, error) {
	orders, err := truth.TruthOrders(account)
	require.NoError(t, err)
	items := 0
	for _, o := range orders {
		it, err := truth.TruthOrderItems(account, o.AmazonOrderID)
		require.NoError(t, err)
		items += len(it)
	}
	jobs, err := truth.TruthServiceJobs(account)
	require.NoError(t, err)
	return func() (bool, error) {
		for _, c := range []struct {
			sql  string
			want int
		}{{"SELECT count(*) FROM orders", len(orders)}, {"SELECT count(*) FROM order_items", items}, {"SELECT count(*) FROM service_jobs", len(jobs)}} {
			n, err := poolCount(c.sql)
			if err != nil || n < c.want {
				return false, err
			}
		}
		return true, nil
	}
}
