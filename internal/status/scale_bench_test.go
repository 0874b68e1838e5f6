package status_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/spsync/spsync/internal/dbtest"
	"github.com/spsync/spsync/internal/status"
	"github.com/spsync/spsync/internal/status/statustest"
)

// BenchmarkCollectAtScale times status.Collect and both renderings over
// 1,000 seeded accounts (statustest.Seed): the cost of `worker status`
// without the process start and connection.
func BenchmarkCollectAtScale(b *testing.B) {
	ctx := context.Background()
	pool := dbtest.NewPool(b)
	if err := statustest.Seed(ctx, pool, 1000); err != nil {
		b.Fatal(err)
	}
	b.Run("Collect", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := status.Collect(ctx, pool); err != nil {
				b.Fatal(err)
			}
		}
	})
	r, err := status.Collect(ctx, pool)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Text", func(b *testing.B) {
		var buf bytes.Buffer
		for i := 0; i < b.N; i++ {
			buf.Reset()
			if err := r.WriteText(&buf); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(buf.Len()), "bytes")
		b.ReportMetric(float64(bytes.Count(buf.Bytes(), []byte("\n"))), "lines")
	})
	b.Run("JSON", func(b *testing.B) {
		var buf bytes.Buffer
		for i := 0; i < b.N; i++ {
			buf.Reset()
			if err := json.NewEncoder(&buf).Encode(r); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(buf.Len()), "bytes")
	})
}
