package push

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/jobs/orders"
	"github.com/spsync/spsync/internal/streams"
)

// widgetRefreshArgs and widgetPollArgs are the jobs of a stream that exists
// only in this test.
type widgetRefreshArgs struct {
	AccountID      string     `json:"account_id" river:"unique"`
	WidgetID       string     `json:"widget_id" river:"unique"`
	Followup       bool       `json:"followup,omitempty" river:"unique"`
	NotifiedChange *time.Time `json:"notified_change,omitempty"`
}

func (widgetRefreshArgs) Kind() string { return "test_widget_refresh" }

func (widgetRefreshArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: "test_widgets", UniqueOpts: jobs.UniqueWhileActive()}
}

type widgetPollArgs struct {
	AccountID string `json:"account_id"`
}

func (widgetPollArgs) Kind() string { return "test_widget_poll" }

const typeWidgetChange = "WIDGET_CHANGE"

// widgetStream consumes WIDGET_CHANGE, whose payload names the widget under
// "Gadget" and its seller under "Merchant": nothing push knows.
func widgetStream() jobs.Stream {
	return jobs.Stream{Name: "test_widgets", Push: &jobs.PushSource{
		Notifications: []jobs.PushNotification{{
			Type: typeWidgetChange, Payload: "WidgetChangeNotification",
			Parse: func(payload json.RawMessage) (jobs.PushEvent, error) {
				var p struct {
					Merchant, Gadget string
					At               jobs.NotificationTime
				}
				err := json.Unmarshal(payload, &p)
				return jobs.PushEvent{SellerID: p.Merchant, EntityID: p.Gadget, ChangeTime: p.At.Time}, err
			},
		}},
		Refresh: func(accountID, entityID string, followup bool, notified *time.Time) river.JobArgs {
			return widgetRefreshArgs{AccountID: accountID, WidgetID: entityID, Followup: followup, NotifiedChange: notified}
		},
		ShedPoll: func(accountID string) river.JobArgs { return widgetPollArgs{AccountID: accountID} },
	}}
}

func widgetChange(sellerID, widgetID, notificationID string, at time.Time) string {
	return fmt.Sprintf(`{"NotificationType":%q,"EventTime":"2026-11-01T10:00:00Z","Payload":{"WidgetChangeNotification":{"Merchant":%q,"Gadget":%q,"At":%q}},"NotificationMetadata":{"NotificationId":%q}}`,
		typeWidgetChange, sellerID, widgetID, at.Format(time.RFC3339), notificationID)
}

// A stream defined entirely in this test is pushed to through its
// descriptor alone: its notifications become its refresh jobs, its
// backlog is shed to its poll, and its receipts, message and last-received
// series carry its type and name, beside the registry's streams.
func TestAStreamOfATestIsPushedTo(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false, 0)
	// The receipt tables check a stream name's spelling, not a list
	// (migration 00025): the test's stream needs no migration either.
	m := NewMetrics()
	w.send(t,
		widgetChange(seller, "W-1", "w1", t0), widgetChange(seller, "W-1", "w1b", t0.Add(time.Minute)),
		widgetChange(seller, "W-2", "w2", t0), widgetChange(seller, "W-3", "w3", t0),
		orderChange(seller, "111-1", "n1", t0),
	)
	w.run(t, func(c *ConsumerConfig) {
		c.Streams = append(streams.All(nil), widgetStream())
		c.Metrics = m
		c.MaxBacklog = 2
	})
	w.waitDrained(t)

	refreshes := w.jobsOf(t, widgetRefreshArgs{}.Kind())
	require.Len(t, refreshes, 2, "refreshes up to the bound, one per widget")
	got := map[string]widgetRefreshArgs{}
	for _, j := range refreshes {
		require.Equal(t, "test_widgets", j.Queue)
		var a widgetRefreshArgs
		require.NoError(t, json.Unmarshal(j.EncodedArgs, &a))
		require.NotNil(t, a.NotifiedChange)
		require.True(t, t0.Equal(*a.NotifiedChange), "notified change %v", a.NotifiedChange)
		a.NotifiedChange = nil
		got[a.WidgetID] = a
	}
	require.Equal(t, map[string]widgetRefreshArgs{
		"W-1": {AccountID: account, WidgetID: "W-1"},
		"W-2": {AccountID: account, WidgetID: "W-2"},
	}, got)
	polls := w.jobsOf(t, widgetPollArgs{}.Kind())
	require.Len(t, polls, 1, "the third widget is the poll's")
	var pa widgetPollArgs
	require.NoError(t, json.Unmarshal(polls[0].EncodedArgs, &pa))
	require.Equal(t, widgetPollArgs{AccountID: account}, pa)
	require.Len(t, w.jobsOf(t, orders.RefreshArgs{}.Kind()), 1, "the registry's streams are pushed to beside it, with their own bound")

	require.EqualValues(t, 2, receiptCount(t, w.pool, "test_widgets", "W-1"))
	require.EqualValues(t, 1, receiptCount(t, w.pool, "test_widgets", "W-3"), "shed or not, the notification was received")
	require.InDelta(t, 2, testutil.ToFloat64(m.Messages.WithLabelValues(typeWidgetChange, outcomeEnqueued)), 0)
	require.InDelta(t, 1, testutil.ToFloat64(m.Messages.WithLabelValues(typeWidgetChange, outcomeDuplicate)), 0)
	require.InDelta(t, 1, testutil.ToFloat64(m.Messages.WithLabelValues(typeWidgetChange, outcomeShed)), 0)
	require.InDelta(t, 1, testutil.ToFloat64(m.Messages.WithLabelValues(TypeOrderChange, outcomeEnqueued)), 0)
	require.Positive(t, testutil.ToFloat64(m.LastReceived.WithLabelValues(account, "test_widgets")))
}

// The registry is checked when the consumer is made: a notification type
// two streams claim, or a source missing a part, would lose notifications
// quietly.
func TestNewConsumerRefusesABadRegistry(t *testing.T) {
	t.Parallel()
	without := func(edit func(*jobs.PushSource)) jobs.Stream {
		s := widgetStream()
		edit(s.Push)
		return s
	}
	twice := widgetStream()
	twice.Name = "test_widgets_again"
	for name, tc := range map[string]struct {
		streams jobs.Streams
		want    string
	}{
		"none":             {nil, "no stream consumes notifications (jobs.Stream.Push)"},
		"no push source":   {jobs.Streams{{Name: "test_plain"}}, "no stream consumes notifications (jobs.Stream.Push)"},
		"type twice":       {jobs.Streams{widgetStream(), twice}, "notification type WIDGET_CHANGE is consumed by streams test_widgets and test_widgets_again"},
		"registry type":    {append(streams.All(nil), func() jobs.Stream { s := widgetStream(); s.Push.Notifications[0].Type = TypeOrderChange; return s }()), "notification type ORDER_CHANGE is consumed by streams orders and test_widgets"},
		"no refresh":       {jobs.Streams{without(func(p *jobs.PushSource) { p.Refresh = nil })}, "stream test_widgets: push source without Refresh"},
		"no shed poll":     {jobs.Streams{without(func(p *jobs.PushSource) { p.ShedPoll = nil })}, "stream test_widgets: push source without ShedPoll"},
		"no types":         {jobs.Streams{without(func(p *jobs.PushSource) { p.Notifications = nil })}, "stream test_widgets: push source without notification types"},
		"no payload name":  {jobs.Streams{without(func(p *jobs.PushSource) { p.Notifications[0].Payload = "" })}, `stream test_widgets: notification type "WIDGET_CHANGE" needs a Type, a Payload member and Parse`},
		"registry is fine": {streams.All(nil), ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := newRoutes(tc.streams)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.want)
		})
	}
}

// The payload is read by its stream; what is wrong with it is still
// reported as push always did, by outcome, without payload values.
func TestParseThroughADescriptor(t *testing.T) {
	t.Parallel()
	r, err := newRoutes(jobs.Streams{widgetStream()})
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		body   string
		err    error
		reason string
		want   event
	}{
		"widget": {
			body: widgetChange("S1", "W-1", "w1", t0),
			want: event{Type: typeWidgetChange, SellerID: "S1", Stream: "test_widgets", EntityID: "W-1", NotificationID: "w1", ChangeTime: t0, EventTime: t0},
		},
		"member named in another case": {
			body: `{"NotificationType":"WIDGET_CHANGE","Payload":{"widgetchangenotification":{"Merchant":"S1","Gadget":"W-1"}}}`,
			want: event{Type: typeWidgetChange, SellerID: "S1", Stream: "test_widgets", EntityID: "W-1"},
		},
		"a type of a stream not registered": {body: orderChange("S1", "1", "n", t0), err: errUnknownType},
		"null payload":                      {body: `{"NotificationType":"WIDGET_CHANGE","Payload":{"WidgetChangeNotification":null}}`, err: errMissingPayload},
		"payload of the wrong shape": {
			body: `{"NotificationType":"WIDGET_CHANGE","Payload":{"WidgetChangeNotification":{"Merchant":5}}}`, err: errNotJSON,
			reason: "bad_json: field Payload.WidgetChangeNotification.Merchant is a JSON number",
		},
		"payload not an object": {
			body: `{"NotificationType":"WIDGET_CHANGE","Payload":7}`, err: errNotJSON,
			reason: "bad_json: field Payload is a JSON number",
		},
		"no widget": {body: `{"NotificationType":"WIDGET_CHANGE","Payload":{"WidgetChangeNotification":{"Merchant":"S1"}}}`, err: errMissingID},
		"no seller": {body: `{"NotificationType":"WIDGET_CHANGE","Payload":{"WidgetChangeNotification":{"Gadget":"W-1"}}}`, err: errMissingSeller},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := r.parse(tc.body)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				if tc.reason != "" {
					require.EqualError(t, err, tc.reason)
				}
				return
			}
			require.NoError(t, err)
			require.True(t, tc.want.ChangeTime.Equal(got.ChangeTime), "change time %v", got.ChangeTime)
			require.True(t, tc.want.EventTime.Equal(got.EventTime), "event time %v", got.EventTime)
			got.ChangeTime, got.EventTime = tc.want.ChangeTime, tc.want.EventTime
			require.Equal(t, tc.want, got)
		})
	}
}
