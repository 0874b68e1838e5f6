package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/spsync/spsync/internal/spapi"
)

// Operation names of the Notifications API v1.
const (
	OpGetSubscriptions       = spapi.OpGetSubscriptions
	OpGetSubscription        = spapi.OpGetSubscription
	OpCreateSubscription     = spapi.OpCreateSubscription
	OpGetSubscriptionByID    = spapi.OpGetSubscriptionByID
	OpDeleteSubscriptionByID = spapi.OpDeleteSubscriptionByID
	OpGetDestinations        = spapi.OpGetDestinations
	OpCreateDestination      = spapi.OpCreateDestination
	OpGetDestination         = spapi.OpGetDestination
	OpDeleteDestination      = spapi.OpDeleteDestination
)

func init() {
	// The delete operations answer an object with errors only (the model's
	// DeleteDestinationResponse, DeleteSubscriptionByIdResponse): {} on
	// success, no payload.
	bareOps[OpDeleteDestination] = true
	bareOps[OpDeleteSubscriptionByID] = true
}

// notificationPayloadVersions are the notification types the simulator
// knows and the payload versions each has (Notifications API v1 use case
// guide; ORDER_STATUS_CHANGE and MFN_ORDER_STATUS_CHANGE were removed in
// favour of ORDER_CHANGE).
var notificationPayloadVersions = map[string][]string{
	"ORDER_CHANGE":                        {"1.0"},
	"FULFILLMENT_ORDER_STATUS":            {"1.0"},
	"FBA_OUTBOUND_SHIPMENT_STATUS":        {"1.0"},
	"REPORT_PROCESSING_FINISHED":          {"2020-09-04"},
	"ANY_OFFER_CHANGED":                   {"1.0"},
	"FEED_PROCESSING_FINISHED":            {"2020-09-04"},
	"ACCOUNT_STATUS_CHANGED":              {"1.0"},
	"SHIPMENT_TRACKING_MILESTONE_CHANGED": {"1.0"},
	"TRANSACTION_UPDATE":                  {"1.0"},
}

// eventFilterTypes are the model's EventFilter.eventFilterType values.
var eventFilterTypes = []string{"ANY_OFFER_CHANGED", "ORDER_CHANGE", "SHIPMENT_TRACKING_MILESTONE_CHANGED"}

// sqsARNPattern is the model's SqsResource.arn pattern.
var sqsARNPattern = regexp.MustCompile(`^arn:aws:sqs:\S+:\S+:\S+`)

const (
	msgConflict = "The resource specified conflicts with the current state."
	msgNotFound = "The resource specified does not exist."
)

func conflict(details string) *failure {
	return &failure{status: http.StatusConflict, err: apiError{"Conflict", msgConflict, details}}
}

// appKeyPrefix marks the limiter and stats key of a grantless call, which
// acts for an application (LWA client id), not a seller account.
const appKeyPrefix = "application:"

func appKey(app string) string      { return appKeyPrefix + app }
func isAppKey(account string) bool  { return strings.HasPrefix(account, appKeyPrefix) }
func appOf(account string) string   { return strings.TrimPrefix(account, appKeyPrefix) }
func (c *call) application() string { return c.data.acct.ClientID }

// notifState is the Notifications API's state: destinations belong to an
// application (one simulator plays one region), subscriptions to an
// application, a seller account and a notification type (and payload
// version). Its zero value is ready.
type notifState struct {
	mu    sync.Mutex
	seq   uint64
	dests []*notifDestination
	subs  []*notifSubscription
	stats NotificationStats
}

type notifDestination struct {
	app, id, name string
	sqsARN        string
	eventBridge   *destEventBridge
}

type destEventBridge struct {
	Name      string `json:"name"`
	Region    string `json:"region"`
	AccountID string `json:"accountId"`
}

type notifSubscription struct {
	app, account, notifType string
	id, payloadVersion      string
	destinationID           string
	directive               json.RawMessage
}

// NotificationStats are the simulator's truth about the Notifications API:
// what exists now and what was created, deleted or refused over its life.
type NotificationStats struct {
	Destinations          int // existing, all applications
	Subscriptions         int // existing, all applications and sellers
	CreatedDestinations   int
	CreatedSubscriptions  int
	DeletedDestinations   int
	DeletedSubscriptions  int
	SubscriptionConflicts int // createSubscription answered 409
	GrantlessGrants       int // client_credentials tokens issued
}

func (n *notifState) recordGrantlessGrant() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.stats.GrantlessGrants++
}

// newID returns a UUID-shaped identifier, fixed by the seed and the
// creation order.
func (n *notifState) newID(seed int64, kind string) string {
	n.seq++
	h1 := hash64(seed, "notifications", kind, strconv.FormatUint(n.seq, 10))
	h2 := hash64(seed, "notifications2", kind, strconv.FormatUint(n.seq, 10))
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", uint32(h1>>32), uint16(h1>>16), uint16(h1)&0xfff, 0x8000|uint16(h2>>48)&0x3fff, h2&0xffffffffffff)
}

// NotificationStats returns the Notifications API truth.
func (s *Sim) NotificationStats() NotificationStats {
	s.notif.mu.Lock()
	defer s.notif.mu.Unlock()
	st := s.notif.stats
	st.Destinations, st.Subscriptions = len(s.notif.dests), len(s.notif.subs)
	return st
}

// NotificationDestinations returns the SQS queue ARNs that notifications
// of notificationType for the seller account accountID go to: those of the
// destinations its subscriptions (any payload version, of the application
// the account is configured with) point at, without repeats. Empty when the
// seller is not subscribed, or only to EventBridge.
func (s *Sim) NotificationDestinations(accountID, notificationType string) []string {
	app := ""
	if d := s.accounts[accountID]; d != nil { // a map: the notifier asks once per change, of thousands of sellers
		app = d.acct.ClientID
	}
	s.notif.mu.Lock()
	defer s.notif.mu.Unlock()
	var out []string
	for _, sub := range s.notif.subs {
		if sub.app != app || sub.account != accountID || sub.notifType != notificationType {
			continue
		}
		if d := s.notif.destination(app, sub.destinationID); d != nil && d.sqsARN != "" && !slices.Contains(out, d.sqsARN) {
			out = append(out, d.sqsARN)
		}
	}
	return out
}

func (n *notifState) destination(app, id string) *notifDestination {
	for _, d := range n.dests {
		if d.app == app && d.id == id {
			return d
		}
	}
	return nil
}

func (d *notifDestination) payload() map[string]any {
	res := map[string]any{}
	if d.sqsARN != "" {
		res["sqs"] = map[string]string{"arn": d.sqsARN}
	}
	if d.eventBridge != nil {
		res["eventBridge"] = d.eventBridge
	}
	return map[string]any{"name": d.name, "destinationId": d.id, "resource": res}
}

func (sub *notifSubscription) payload() map[string]any {
	p := map[string]any{"subscriptionId": sub.id, "payloadVersion": sub.payloadVersion, "destinationId": sub.destinationID}
	if len(sub.directive) > 0 {
		p["processingDirective"] = sub.directive
	}
	return p
}

// notificationRoutes adds the Notifications API v1. The subscription
// operations keyed by type act for a seller; the destination operations and
// the subscription operations by id are grantless (the model's descriptions
// say so) and take a client_credentials token of ScopeNotifications.
// sendTestNotification is sandbox-only and not served.
func (s *Sim) notificationRoutes(mux *http.ServeMux) {
	const base = "/notifications/v1"
	s.route(mux, OpGetSubscriptions, "GET "+base+"/subscriptions", s.getSubscriptions)
	s.route(mux, OpGetSubscription, "GET "+base+"/subscriptions/{notificationType}", s.getSubscription)
	s.route(mux, OpCreateSubscription, "POST "+base+"/subscriptions/{notificationType}", s.createSubscription)
	s.routeGrantless(mux, OpGetSubscriptionByID, "GET "+base+"/subscriptions/{notificationType}/{subscriptionId}", s.getSubscriptionByID)
	s.routeGrantless(mux, OpDeleteSubscriptionByID, "DELETE "+base+"/subscriptions/{notificationType}/{subscriptionId}", s.deleteSubscriptionByID)
	s.routeGrantless(mux, OpGetDestinations, "GET "+base+"/destinations", s.getDestinations)
	s.routeGrantless(mux, OpCreateDestination, "POST "+base+"/destinations", s.createDestination)
	s.routeGrantless(mux, OpGetDestination, "GET "+base+"/destinations/{destinationId}", s.getDestination)
	s.routeGrantless(mux, OpDeleteDestination, "DELETE "+base+"/destinations/{destinationId}", s.deleteDestination)
}

// routeGrantless is route for a grantless operation: the access token must
// be a client_credentials one of ScopeNotifications; a seller's token gets
// Amazon's 403 Unauthorized. Usage plans are per application.
func (s *Sim) routeGrantless(mux *http.ServeMux, op, pattern string, h opHandler) {
	s.routeGrantlessScope(mux, op, pattern, ScopeNotifications, h)
}

// routeGrantlessScope is routeGrantless for an operation whose
// client_credentials token must be of scope; a token of another scope or a
// seller's gets Amazon's 403 Unauthorized.
func (s *Sim) routeGrantlessScope(mux *http.ServeMux, op, pattern, scope string, h opHandler) {
	s.patterns[op] = pattern
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		w = s.answerLatency(w, r) // every answer, refusals included, after the usage plan saw it (scale.go)
		w.Header().Set("x-amzn-RequestId", s.requestID())
		tok := r.Header.Get("x-amz-access-token")
		app, verdict := s.tokens.checkGrantless(tok, scope)
		switch verdict {
		case tokenMissing:
			s.stats.record("", op, http.StatusForbidden)
			writeJSON(w, http.StatusForbidden, errorBody{[]apiError{{"Unauthorized", "Access to requested resource is denied.", "The request has no x-amz-access-token header."}}})
			return
		case tokenInvalid:
			s.stats.record("", op, http.StatusForbidden)
			writeJSON(w, http.StatusForbidden, errorBody{[]apiError{{"Unauthorized", "Access to requested resource is denied.", "The access token you provided is revoked, malformed or invalid."}}})
			return
		case tokenExpired:
			s.stats.record(appKey(app), op, http.StatusForbidden)
			writeExpired(w)
			return
		case tokenWrongKind:
			s.stats.record("", op, http.StatusForbidden)
			writeWrongKind(w)
			return
		case tokenSecretPropagating:
			s.stats.record(appKey(app), op, http.StatusForbidden)
			writeSecretPropagating(w)
			return
		}
		code := s.serveOp(w, r, op, appKey(app), tok, h)
		s.stats.record(appKey(app), op, code)
	})
}

// readBody decodes a JSON request body into v.
func readBody(c *call, v any) *failure {
	b, err := io.ReadAll(io.LimitReader(c.r.Body, 1<<20))
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return invalidDetail("The request body is missing.")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return invalidDetail("The request body is not valid JSON: %v", err)
	}
	return nil
}

func notificationType(c *call) (string, *failure) {
	t := c.r.PathValue("notificationType")
	if _, ok := notificationPayloadVersions[t]; !ok {
		return "", invalidDetail("%q is not a valid notificationType.", t)
	}
	return t, nil
}

// getSubscription plays GET /subscriptions/{notificationType}: the
// seller's subscription of the type, of payloadVersion when given, else of
// the latest payload version.
func (s *Sim) getSubscription(c *call) (any, *failure) {
	t, f := notificationType(c)
	if f != nil {
		return nil, f
	}
	version := c.r.URL.Query().Get("payloadVersion")
	s.notif.mu.Lock()
	defer s.notif.mu.Unlock()
	var found *notifSubscription
	for _, sub := range s.notif.subs {
		if sub.app == c.application() && sub.account == c.account && sub.notifType == t &&
			(version == "" || sub.payloadVersion == version) &&
			(found == nil || sub.payloadVersion > found.payloadVersion) {
			found = sub
		}
	}
	if found == nil {
		return nil, notFound(msgNotFound)
	}
	return found.payload(), nil
}

// getSubscriptions plays GET /subscriptions?notificationTypes=T: every
// subscription of the seller to the one type named; pageSize is 30 to 100
// as the model says. The simulator never has more than a page, so nextToken
// is never set.
func (s *Sim) getSubscriptions(c *call) (any, *failure) {
	q := c.r.URL.Query()
	types := listParam(q, "notificationTypes")
	if len(types) != 1 {
		return nil, invalidDetail("notificationTypes must name exactly one notification type.")
	}
	if _, ok := notificationPayloadVersions[types[0]]; !ok {
		return nil, invalidDetail("%q is not a valid notificationType.", types[0])
	}
	if v := q.Get("pageSize"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 30 || n > 100 {
			return nil, invalidDetail("pageSize must be from 30 to 100.")
		}
	}
	version := q.Get("payloadVersion")
	s.notif.mu.Lock()
	defer s.notif.mu.Unlock()
	list := []map[string]any{}
	for _, sub := range s.notif.subs {
		if sub.app == c.application() && sub.account == c.account && sub.notifType == types[0] && (version == "" || sub.payloadVersion == version) {
			list = append(list, sub.payload())
		}
	}
	return map[string]any{"subscriptions": list}, nil
}

type createSubscriptionRequest struct {
	PayloadVersion      string          `json:"payloadVersion"`
	DestinationID       string          `json:"destinationId"`
	ProcessingDirective json.RawMessage `json:"processingDirective"`
}

type processingDirective struct {
	EventFilter *struct {
		EventFilterType     string `json:"eventFilterType"`
		AggregationSettings *struct {
			AggregationTimePeriod string `json:"aggregationTimePeriod"`
		} `json:"aggregationSettings"`
		OrderChangeTypes []string `json:"orderChangeTypes"`
	} `json:"eventFilter"`
	FilterExpression *string `json:"filterExpression"`
}

// createSubscription plays POST /subscriptions/{notificationType}. A
// seller already subscribed to the type at that payload version gets 409.
func (s *Sim) createSubscription(c *call) (any, *failure) {
	t, f := notificationType(c)
	if f != nil {
		return nil, f
	}
	var req createSubscriptionRequest
	if f := readBody(c, &req); f != nil {
		return nil, f
	}
	switch {
	case req.PayloadVersion == "":
		return nil, invalidDetail("payloadVersion is required.")
	case req.DestinationID == "":
		return nil, invalidDetail("destinationId is required.")
	case !slices.Contains(notificationPayloadVersions[t], req.PayloadVersion):
		return nil, invalidDetail("payloadVersion %q is not supported for %s.", req.PayloadVersion, t)
	}
	var directive json.RawMessage
	if p := bytes.TrimSpace(req.ProcessingDirective); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
		var pd processingDirective
		if err := json.Unmarshal(p, &pd); err != nil {
			return nil, invalidDetail("processingDirective is not valid: %v", err)
		}
		if pd.EventFilter != nil && pd.FilterExpression != nil {
			return nil, invalidDetail("processingDirective cannot combine eventFilter and filterExpression.")
		}
		if ef := pd.EventFilter; ef != nil {
			if !slices.Contains(eventFilterTypes, ef.EventFilterType) || ef.EventFilterType != t {
				return nil, invalidDetail("eventFilterType %q is not valid for %s.", ef.EventFilterType, t)
			}
			if a := ef.AggregationSettings; a != nil && a.AggregationTimePeriod != "FiveMinutes" && a.AggregationTimePeriod != "TenMinutes" {
				return nil, invalidDetail("aggregationTimePeriod %q is not one of FiveMinutes, TenMinutes.", a.AggregationTimePeriod)
			}
		}
		directive = bytes.Clone(p)
	}
	app := c.application()
	s.notif.mu.Lock()
	defer s.notif.mu.Unlock()
	if s.notif.destination(app, req.DestinationID) == nil {
		return nil, invalidDetail("destinationId %q does not exist.", req.DestinationID)
	}
	for _, sub := range s.notif.subs {
		if sub.app == app && sub.account == c.account && sub.notifType == t && sub.payloadVersion == req.PayloadVersion {
			s.notif.stats.SubscriptionConflicts++
			return nil, conflict("")
		}
	}
	sub := &notifSubscription{
		app: app, account: c.account, notifType: t,
		id: s.notif.newID(s.opts.Seed, "subscription"), payloadVersion: req.PayloadVersion,
		destinationID: req.DestinationID, directive: directive,
	}
	s.notif.subs = append(s.notif.subs, sub)
	s.notif.stats.CreatedSubscriptions++
	return sub.payload(), nil
}

// subscriptionByID finds the application's subscription of the path.
func (s *Sim) subscriptionByID(c *call) (int, *failure) {
	t, f := notificationType(c)
	if f != nil {
		return -1, f
	}
	id := c.r.PathValue("subscriptionId")
	for i, sub := range s.notif.subs {
		if sub.app == appOf(c.account) && sub.id == id && sub.notifType == t {
			return i, nil
		}
	}
	return -1, notFound(msgNotFound)
}

func (s *Sim) getSubscriptionByID(c *call) (any, *failure) {
	s.notif.mu.Lock()
	defer s.notif.mu.Unlock()
	i, f := s.subscriptionByID(c)
	if f != nil {
		return nil, f
	}
	return s.notif.subs[i].payload(), nil
}

func (s *Sim) deleteSubscriptionByID(c *call) (any, *failure) {
	s.notif.mu.Lock()
	defer s.notif.mu.Unlock()
	i, f := s.subscriptionByID(c)
	if f != nil {
		return nil, f
	}
	s.notif.subs = slices.Delete(s.notif.subs, i, i+1)
	s.notif.stats.DeletedSubscriptions++
	return struct{}{}, nil
}

// getDestinations plays GET /destinations: the application's destinations,
// oldest first.
func (s *Sim) getDestinations(c *call) (any, *failure) {
	s.notif.mu.Lock()
	defer s.notif.mu.Unlock()
	list := []map[string]any{}
	for _, d := range s.notif.dests {
		if d.app == appOf(c.account) {
			list = append(list, d.payload())
		}
	}
	return list, nil
}

type createDestinationRequest struct {
	Name                  string `json:"name"`
	ResourceSpecification *struct {
		SQS *struct {
			ARN string `json:"arn"`
		} `json:"sqs"`
		EventBridge *struct {
			Region    string `json:"region"`
			AccountID string `json:"accountId"`
		} `json:"eventBridge"`
	} `json:"resourceSpecification"`
}

// createDestination plays POST /destinations. A second destination of the
// application for the same resource is refused with 409.
func (s *Sim) createDestination(c *call) (any, *failure) {
	var req createDestinationRequest
	if f := readBody(c, &req); f != nil {
		return nil, f
	}
	rs := req.ResourceSpecification
	switch {
	case strings.TrimSpace(req.Name) == "":
		return nil, invalidDetail("name is required.")
	case len(req.Name) > 256:
		return nil, invalidDetail("name is longer than 256 characters.")
	case rs == nil || (rs.SQS == nil && rs.EventBridge == nil):
		return nil, invalidDetail("resourceSpecification needs sqs or eventBridge.")
	case rs.SQS != nil && rs.EventBridge != nil:
		return nil, invalidDetail("resourceSpecification must have one resource type, sqs or eventBridge.")
	case rs.SQS != nil && (len(rs.SQS.ARN) > 1000 || !sqsARNPattern.MatchString(rs.SQS.ARN)):
		return nil, invalidDetail("sqs.arn %q is not an SQS queue ARN.", rs.SQS.ARN)
	case rs.EventBridge != nil && (rs.EventBridge.Region == "" || rs.EventBridge.AccountID == ""):
		return nil, invalidDetail("eventBridge needs region and accountId.")
	}
	app := appOf(c.account)
	d := &notifDestination{app: app, name: req.Name}
	if rs.SQS != nil {
		d.sqsARN = rs.SQS.ARN
	} else {
		d.eventBridge = &destEventBridge{
			Name:   "aws.partner/sellingpartnerapi.amazon.com/" + rs.EventBridge.AccountID + "/" + app,
			Region: rs.EventBridge.Region, AccountID: rs.EventBridge.AccountID,
		}
	}
	s.notif.mu.Lock()
	defer s.notif.mu.Unlock()
	for _, o := range s.notif.dests {
		if o.app == app && ((d.sqsARN != "" && o.sqsARN == d.sqsARN) ||
			(d.eventBridge != nil && o.eventBridge != nil && *o.eventBridge == *d.eventBridge)) {
			return nil, conflict("")
		}
	}
	d.id = s.notif.newID(s.opts.Seed, "destination")
	s.notif.dests = append(s.notif.dests, d)
	s.notif.stats.CreatedDestinations++
	return d.payload(), nil
}

func (s *Sim) getDestination(c *call) (any, *failure) {
	s.notif.mu.Lock()
	defer s.notif.mu.Unlock()
	d := s.notif.destination(appOf(c.account), c.r.PathValue("destinationId"))
	if d == nil {
		return nil, notFound(msgNotFound)
	}
	return d.payload(), nil
}

func (s *Sim) deleteDestination(c *call) (any, *failure) {
	s.notif.mu.Lock()
	defer s.notif.mu.Unlock()
	id := c.r.PathValue("destinationId")
	i := slices.IndexFunc(s.notif.dests, func(d *notifDestination) bool { return d.app == appOf(c.account) && d.id == id })
	if i < 0 {
		return nil, notFound(msgNotFound)
	}
	s.notif.dests = slices.Delete(s.notif.dests, i, i+1)
	s.notif.stats.DeletedDestinations++
	return struct{}{}, nil
}
