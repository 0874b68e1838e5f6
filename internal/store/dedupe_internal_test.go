package store

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A page's rows are mapped once, before its transaction, and the same rows
// may be written again: dedupe merges repeated keys without changing what
// it was given, so a second write sums the same quantities.
func TestDedupeLeavesItsInputAlone(t *testing.T) {
	rows := []OrderPackageItemRow{
		{AmazonOrderID: "A", PackageReferenceID: "P", OrderItemID: "I", Quantity: 1},
		{AmazonOrderID: "A", PackageReferenceID: "P", OrderItemID: "J", Quantity: 5},
		{AmazonOrderID: "A", PackageReferenceID: "P", OrderItemID: "I", Quantity: 2},
	}
	given := append([]OrderPackageItemRow(nil), rows...)
	key := func(r *OrderPackageItemRow) string { return r.OrderItemID }
	sum := func(kept, later *OrderPackageItemRow) bool { later.Quantity += kept.Quantity; return true }
	for range 2 {
		got := dedupe(rows, key, sum)
		require.Equal(t, []OrderPackageItemRow{
			{AmazonOrderID: "A", PackageReferenceID: "P", OrderItemID: "I", Quantity: 3},
			{AmazonOrderID: "A", PackageReferenceID: "P", OrderItemID: "J", Quantity: 5},
		}, got)
		require.Equal(t, given, rows, "the input rows are unchanged")
	}
}
