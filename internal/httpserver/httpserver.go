// Package httpserver serves the worker's operator endpoints on
// SPSYNC_HTTP_ADDR: /healthz now; /metrics and River UI mount here too.
package httpserver

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// HealthCheck reports whether one dependency is healthy.
type HealthCheck func(ctx context.Context) error

// Handler returns the operator mux. checks are run by /healthz, which
// answers 200 when all pass and 503 naming the failures otherwise.
func Handler(checks map[string]HealthCheck, extra map[string]http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		status := http.StatusOK
		result := map[string]string{}
		for name, check := range checks {
			if err := check(ctx); err != nil {
				status = http.StatusServiceUnavailable
				result[name] = err.Error()
			} else {
				result[name] = "ok"
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(result)
	})
	for pattern, h := range extra {
		mux.Handle(pattern, h)
	}
	return mux
}
