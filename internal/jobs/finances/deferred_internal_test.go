package finances

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
)

func testTx(id, status string, matures *time.Time, ids ...string) spapi.Transaction {
	t := spapi.Transaction{TransactionId: id, TransactionStatus: status}
	for i := 0; i+1 < len(ids); i += 2 {
		t.RelatedIdentifiers = append(t.RelatedIdentifiers, spapi.RelatedIdentifier{RelatedIdentifierName: ids[i], RelatedIdentifierValue: ids[i+1]})
	}
	if matures != nil {
		t.Contexts = []spapi.TransactionContext{{ContextType: spapi.ContextDeferred, MaturityDate: matures}}
	}
	return t
}

// Cash is still deferred until Amazon shows its release either way: the
// status moving on, or a release transaction (named by the deferred one,
// or naming it).
func TestStillDeferred(t *testing.T) {
	t.Parallel()
	m := time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC)
	recs := []spapi.Transaction{
		testTx("D1", "DEFERRED", &m, spapi.RelatedOrderID, "O1"),
		testTx("D2", "DEFERRED_RELEASED", &m, spapi.RelatedOrderID, "O1"),
		testTx("D3", "DEFERRED", &m, spapi.RelatedOrderID, "O1", spapi.RelatedReleaseTransactionID, "R3"),
		testTx("D4", "DEFERRED", &m, spapi.RelatedOrderID, "O1"),
		testTx("R4", "RELEASED", nil, spapi.RelatedOrderID, "O1", spapi.RelatedDeferredTransactionID, "D4"),
		testTx("S1", "RELEASED", nil, spapi.RelatedOrderID, "O1"),
	}
	got := stillDeferred(recs)
	require.Len(t, got, 1)
	require.Equal(t, "D1", got[0].id)

	o := Options{}.withDefaults()
	next, ok := nextReread(recs, m.Add(2*time.Hour), o)
	require.True(t, ok, "matured and still deferred: again later")
	require.Equal(t, m.Add(2*time.Hour).Add(o.DeferredRetry), next)
	_, ok = nextReread(recs, m.Add(-time.Hour), o)
	require.False(t, ok, "not matured yet: the polls queue it when due")
	_, ok = nextReread(recs, m.Add(o.DeferredGiveUp+time.Hour), o)
	require.False(t, ok, "given up")
	_, ok = nextReread(recs[1:], m.Add(2*time.Hour), o)
	require.False(t, ok, "all released")
}
