package finances

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
)

// A TRANSACTION_UPDATE names no transaction: its entity is the order
// (RelatedIdentifierName "OrderId" there), else its posted date, and the
// refresh push queues for it reads that.
func TestTransactionUpdateBecomesARefresh(t *testing.T) {
	t.Parallel()
	posted := time.Date(2023, 7, 14, 3, 35, 13, 214e6, time.UTC)
	// TransactionUpdateNotification.json's example.
	ev, err := parseUpdate([]byte(`{"SellingPartnerMetadata":{"SellingPartnerId":"A3TH9S8BH6GOGM","MarketplaceId":"ATIV93840DER","AccountType":"PAYABLE"},
		"RelatedIdentifiers":[{"RelatedIdentifierName":"OrderId","RelatedIdentifierValue":"8129762527551"}],
		"TransactionType":"Shipment","PostedDate":"2023-07-14T03:35:13.214Z","TotalAmount":{"CurrencyAmount":10,"CurrencyCode":"USD"}}`))
	require.NoError(t, err)
	require.Equal(t, jobs.PushEvent{SellerID: "A3TH9S8BH6GOGM", MarketplaceID: "ATIV93840DER", EntityID: "8129762527551", ChangeTime: posted}, ev)
	src := pushSource()
	require.Equal(t, RefreshArgs{AccountID: "a", OrderID: "8129762527551", Followup: true}, src.Refresh("a", ev.EntityID, true, &posted))

	ev, err = parseUpdate([]byte(`{"SellingPartnerMetadata":{"SellingPartnerId":"S1","MarketplaceId":"M1","AccountType":"PAYABLE"},
		"RelatedIdentifiers":[{"RelatedIdentifierName":"FinancialEventGroupId","RelatedIdentifierValue":"G1"}],
		"TransactionType":"ServiceFee","PostedDate":"2023-07-14T03:35:13.214Z","TotalAmount":{"CurrencyAmount":-39.99,"CurrencyCode":"USD"}}`))
	require.NoError(t, err)
	require.Equal(t, "posted:2023-07-14T03:35:13Z", ev.EntityID, "no order: its posted date, whole seconds")
	at := posted.Truncate(time.Second)
	require.Equal(t, RefreshArgs{AccountID: "a", PostedAt: &at}, src.Refresh("a", ev.EntityID, false, nil))

	ev, err = parseUpdate([]byte(`{"SellingPartnerMetadata":{"SellingPartnerId":"S1"},"TransactionType":"Shipment"}`))
	require.NoError(t, err)
	require.Empty(t, ev.EntityID, "neither order nor date: push refuses it as missing_entity_id")
	require.Equal(t, PollArgs{AccountID: "a"}, src.ShedPoll("a"))
}

// A posted-date refresh reads PostedSlack either side of the date, never
// later than two minutes ago, and waits until its date can be asked for.
func TestPostedTargetWindow(t *testing.T) {
	t.Parallel()
	o := Options{}.withDefaults()
	at := time.Date(2026, 5, 1, 12, 0, 0, 500e6, time.UTC)
	tg := target{postedAt: &at}
	now := at.Add(time.Hour)
	from, to := tg.window(now, o)
	require.Equal(t, at.Truncate(time.Second).Add(-time.Minute), from)
	require.Equal(t, at.Truncate(time.Second).Add(time.Minute+time.Second), to)
	require.Zero(t, tg.notReadableFor(now, o))

	now = at.Add(30 * time.Second)
	wait := tg.notReadableFor(now, o)
	require.Positive(t, wait)
	from, to = tg.window(now.Add(wait), o)
	require.True(t, to.After(at), "the date itself lies before postedBefore once it is readable")
	require.False(t, to.After(now.Add(wait).Add(-o.SafetyMargin)))
	require.True(t, from.Before(at))

	order := target{orderID: "1"}
	require.Zero(t, order.notReadableFor(now, o))
	p := order.params(now, o)
	require.Equal(t, "ORDER_ID", p.RelatedIdentifierName)
	require.Nil(t, p.PostedAfter, "an order is read whatever its dates")
}
