package spapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Notification types spsync subscribes to (Notifications API v1 use case guide; the payload
// schemas are OrderChangeNotification.json, FulfillmentOrderStatusNotification.json and
// TransactionUpdateNotification.json).
const (
	NotificationOrderChange            = "ORDER_CHANGE"
	NotificationFulfillmentOrderStatus = "FULFILLMENT_ORDER_STATUS"
	NotificationTransactionUpdate      = "TRANSACTION_UPDATE"
)

// TransactionUpdatePayload is the member of a TRANSACTION_UPDATE envelope's Payload that
// holds the TransactionUpdateNotification.
const TransactionUpdatePayload = "TransactionUpdateNotification"

// TransactionUpdateNotification is TRANSACTION_UPDATE's payload
// (TransactionUpdateNotification.json): a transaction was posted or changed. It names the
// seller, the related identifiers, the type, posted date and total — no transactionId and
// no status, so a consumer re-reads by the order (or by posted date) to learn which
// transaction and what became of it. Keys are PascalCase ("RelatedIdentifierName":
// "OrderId"); the tolerant decoder matches them to the API's camelCase fields ignoring case,
// and the enum rewrites OrderId to ORDER_ID, so OrderID works on both.
type TransactionUpdateNotification struct {
	SellingPartnerMetadata *SellingPartnerMetadata `json:"SellingPartnerMetadata,omitempty"`
	RelatedIdentifiers     []RelatedIdentifier     `json:"RelatedIdentifiers,omitempty"`
	TransactionType        string                  `json:"TransactionType,omitempty"`
	PostedDate             *time.Time              `json:"PostedDate,omitempty"`
	TotalAmount            *Money                  `json:"TotalAmount,omitempty"`
	// Raw is the payload exactly as Amazon sent it.
	Raw json.RawMessage `json:"-"`
	// Warnings are the fields that did not decode cleanly (see DecodeWarning).
	Warnings []DecodeWarning `json:"-"`
}

// ParseTransactionUpdateNotification reads a TRANSACTION_UPDATE payload (the
// TransactionUpdatePayload member of the envelope's Payload) tolerantly: an odd field is
// left empty and reported in Warnings; only a payload that is not a JSON object fails.
func ParseTransactionUpdateNotification(payload json.RawMessage) (*TransactionUpdateNotification, error) {
	var n TransactionUpdateNotification
	if err := decodeRecord(payload, &n); err != nil {
		return nil, fmt.Errorf("%s payload: %w", NotificationTransactionUpdate, err)
	}
	return &n, nil
}

// SellerID returns SellingPartnerMetadata.SellingPartnerId, "" without one.
func (n TransactionUpdateNotification) SellerID() string {
	if n.SellingPartnerMetadata == nil {
		return ""
	}
	return n.SellingPartnerMetadata.SellingPartnerId
}

// MarketplaceID returns SellingPartnerMetadata.MarketplaceId, "" without one.
func (n TransactionUpdateNotification) MarketplaceID() string {
	if n.SellingPartnerMetadata == nil {
		return ""
	}
	return n.SellingPartnerMetadata.MarketplaceId
}

// RelatedIdentifier returns the value of the first related identifier named name in the
// API's spelling (RelatedOrderID, …), "" when there is none.
func (n TransactionUpdateNotification) RelatedIdentifier(name string) string {
	for _, r := range n.RelatedIdentifiers {
		if r.RelatedIdentifierName == name {
			return r.RelatedIdentifierValue
		}
	}
	return ""
}

// OrderID returns the order the transaction belongs to, "" when it names none.
func (n TransactionUpdateNotification) OrderID() string { return n.RelatedIdentifier(RelatedOrderID) }

// notificationsBase is the path prefix of the Notifications API v1.
const notificationsBase = "/notifications/v1"

// Destination is where Amazon delivers notifications (the model's Destination): an SQS queue
// or an EventBridge partner event source. It belongs to the application and the region,
// not to a seller.
type Destination struct {
	Name          string              `json:"name"`
	DestinationID string              `json:"destinationId"`
	Resource      DestinationResource `json:"resource"`
	Warnings      []DecodeWarning     `json:"-"`
}

// DestinationResource is the model's DestinationResource: one of SQS and EventBridge is set.
type DestinationResource struct {
	SQS         *SQSResource         `json:"sqs,omitempty"`
	EventBridge *EventBridgeResource `json:"eventBridge,omitempty"`
}

// SQSResource is an SQS queue destination.
type SQSResource struct {
	ARN string `json:"arn"`
}

// EventBridgeResource is an EventBridge destination.
type EventBridgeResource struct {
	Name      string `json:"name"`
	Region    string `json:"region"`
	AccountID string `json:"accountId"`
}

// SQSARN returns the queue ARN of an SQS destination, "" for any other kind.
func (d Destination) SQSARN() string {
	if d.Resource.SQS == nil {
		return ""
	}
	return d.Resource.SQS.ARN
}

// Subscription is the model's Subscription: a seller's subscription of one notification type
// (and payload version) to a destination.
type Subscription struct {
	SubscriptionID string `json:"subscriptionId"`
	PayloadVersion string `json:"payloadVersion"`
	DestinationID  string `json:"destinationId"`
	// ProcessingDirective is the model's ProcessingDirective as Amazon sent it (eventFilter,
	// filterExpression), absent when the subscription has none.
	ProcessingDirective json.RawMessage `json:"processingDirective,omitempty"`
	Warnings            []DecodeWarning `json:"-"`
}

// ErrConflict is matched (errors.Is) by a *ConflictError: Amazon's 409, "The resource
// specified conflicts with the current state".
var ErrConflict = errors.New("spapi: conflicts with the current state")

// ConflictError is Amazon's 409 answer, e.g. createSubscription for a notification type the
// seller is already subscribed to. errors.Is(err, ErrConflict) and errors.As with
// *ConflictError or *Error both work.
type ConflictError struct {
	// NotificationType is the subscription's type, for createSubscription.
	NotificationType string
	// Err is the classified failure (KindPermanent, HTTP 409, Amazon's errors[]).
	Err *Error
}

func (e *ConflictError) Error() string {
	if e.NotificationType != "" {
		return fmt.Sprintf("%s: a subscription to %s exists", e.Err.Error(), e.NotificationType)
	}
	return e.Err.Error()
}

// Unwrap exposes the *Error.
func (e *ConflictError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// NotificationsClient calls the Notifications API v1 for one seller (subscriptions) and its
// application (destinations and the other grantless operations) in one region. The seller's
// operations use the seller's token; the grantless ones a client-credentials token of scope
// ScopeNotifications, cached apart. Safe for concurrent use.
type NotificationsClient struct {
	seller    *Client // nil without a refresh token
	grantless *Client
}

// NewNotificationsClient builds a client from opts: opts.Credentials' client id and secret
// obtain the grantless token, and opts.Credentials.RefreshToken (or opts.TokenSource) the
// seller's. Without either, only the grantless operations work.
func NewNotificationsClient(opts Options) (*NotificationsClient, error) {
	nc := &NotificationsClient{}
	if opts.TokenSource != nil || opts.Credentials.RefreshToken != "" {
		c, err := NewClient(opts)
		if err != nil {
			return nil, err
		}
		nc.seller = c
	}
	var err error
	if nc.grantless, err = newGrantlessClient(opts, ScopeNotifications); err != nil {
		return nil, err
	}
	return nc, nil
}

// String describes the client without secrets.
func (n *NotificationsClient) String() string {
	return "spapi.NotificationsClient{" + n.grantless.String() + "}"
}

// Format makes every fmt verb print the redacted form.
func (n *NotificationsClient) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, n.String()) }

// Region returns the client's region.
func (n *NotificationsClient) Region() Region { return n.grantless.Region() }

func (n *NotificationsClient) sellerClient(op string) (*Client, error) {
	if n.seller == nil {
		return nil, invalidInput(op, "%s needs the seller's refresh token", op)
	}
	return n.seller, nil
}

// GetDestinations lists the application's destinations in the region (grantless).
func (n *NotificationsClient) GetDestinations(ctx context.Context) ([]Destination, error) {
	var out struct {
		Destinations []Destination `json:"destinations"`
	}
	_, err := n.grantless.send(ctx, OpGetDestinations, http.MethodGet, notificationsBase+"/destinations", nil, nil, &out, decodePayloadList("destinations"))
	return out.Destinations, err
}

// GetDestination returns one destination (grantless).
func (n *NotificationsClient) GetDestination(ctx context.Context, destinationID string) (*Destination, error) {
	if strings.TrimSpace(destinationID) == "" {
		return nil, invalidInput(OpGetDestination, "destinationId is required")
	}
	var out Destination
	_, err := n.grantless.send(ctx, OpGetDestination, http.MethodGet, notificationsBase+"/destinations/"+pathSegment(destinationID), nil, nil, &out, decodePayload)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateDestination creates an SQS destination named name for the queue sqsARN (grantless).
// The queue's policy must let Amazon's principal send to it. A destination for the same
// queue that exists already is refused with a *ConflictError (errors.Is ErrConflict) by the
// simulator; look it up with GetDestinations first.
func (n *NotificationsClient) CreateDestination(ctx context.Context, name, sqsARN string) (*Destination, error) {
	if strings.TrimSpace(name) == "" || !strings.HasPrefix(sqsARN, "arn:aws:sqs:") {
		return nil, invalidInput(OpCreateDestination, "a destination needs a name and an SQS ARN (arn:aws:sqs:REGION:ACCOUNT:QUEUE)")
	}
	in := map[string]any{
		"name":                  name,
		"resourceSpecification": map[string]any{"sqs": map[string]string{"arn": sqsARN}},
	}
	var out Destination
	if _, err := n.post(ctx, n.grantless, OpCreateDestination, notificationsBase+"/destinations", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteDestination deletes a destination (grantless).
func (n *NotificationsClient) DeleteDestination(ctx context.Context, destinationID string) error {
	if strings.TrimSpace(destinationID) == "" {
		return invalidInput(OpDeleteDestination, "destinationId is required")
	}
	_, err := n.grantless.send(ctx, OpDeleteDestination, http.MethodDelete, notificationsBase+"/destinations/"+pathSegment(destinationID), nil, nil, nil, decodeNothing)
	return err
}

// GetSubscription returns the seller's subscription to notificationType (its latest payload
// version). A seller without one gets an error of KindNotFound (errors.Is ErrNotFound).
func (n *NotificationsClient) GetSubscription(ctx context.Context, notificationType string) (*Subscription, error) {
	c, err := n.sellerClient(OpGetSubscription)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(notificationType) == "" {
		return nil, invalidInput(OpGetSubscription, "notificationType is required")
	}
	var out Subscription
	if _, err := c.send(ctx, OpGetSubscription, http.MethodGet, notificationsBase+"/subscriptions/"+pathSegment(notificationType), nil, nil, &out, decodePayload); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateSubscription subscribes the seller to notificationType at payloadVersion, delivered
// to destinationID, without a processing directive (no filter, no aggregation). When the
// seller is already subscribed Amazon answers 409, returned as a *ConflictError
// (errors.Is(err, ErrConflict)).
func (n *NotificationsClient) CreateSubscription(ctx context.Context, notificationType, payloadVersion, destinationID string) (*Subscription, error) {
	c, err := n.sellerClient(OpCreateSubscription)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(notificationType) == "" || payloadVersion == "" || destinationID == "" {
		return nil, invalidInput(OpCreateSubscription, "notificationType, payloadVersion and destinationId are required")
	}
	in := map[string]string{"payloadVersion": payloadVersion, "destinationId": destinationID}
	var out Subscription
	if _, err := n.post(ctx, c, OpCreateSubscription, notificationsBase+"/subscriptions/"+pathSegment(notificationType), in, &out); err != nil {
		var ce *ConflictError
		if errors.As(err, &ce) {
			ce.NotificationType = notificationType
		}
		return nil, err
	}
	return &out, nil
}

// GetSubscriptionByID returns a subscription of the application by id (grantless).
func (n *NotificationsClient) GetSubscriptionByID(ctx context.Context, notificationType, subscriptionID string) (*Subscription, error) {
	if strings.TrimSpace(notificationType) == "" || strings.TrimSpace(subscriptionID) == "" {
		return nil, invalidInput(OpGetSubscriptionByID, "notificationType and subscriptionId are required")
	}
	var out Subscription
	path := notificationsBase + "/subscriptions/" + pathSegment(notificationType) + "/" + pathSegment(subscriptionID)
	if _, err := n.grantless.send(ctx, OpGetSubscriptionByID, http.MethodGet, path, nil, nil, &out, decodePayload); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteSubscriptionByID deletes a subscription of the application by id (grantless); its
// notifications stop.
func (n *NotificationsClient) DeleteSubscriptionByID(ctx context.Context, notificationType, subscriptionID string) error {
	if strings.TrimSpace(notificationType) == "" || strings.TrimSpace(subscriptionID) == "" {
		return invalidInput(OpDeleteSubscriptionByID, "notificationType and subscriptionId are required")
	}
	path := notificationsBase + "/subscriptions/" + pathSegment(notificationType) + "/" + pathSegment(subscriptionID)
	_, err := n.grantless.send(ctx, OpDeleteSubscriptionByID, http.MethodDelete, path, nil, nil, nil, decodeNothing)
	return err
}

// post sends a POST with in as JSON and decodes the enveloped payload into out. Amazon's 409
// becomes a *ConflictError.
func (n *NotificationsClient) post(ctx context.Context, c *Client, op, path string, in, out any) (ResponseMeta, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return ResponseMeta{Op: op}, &Error{Op: op, Kind: KindInvalidInput, Err: fmt.Errorf("encoding request body: %w", err)}
	}
	meta, err := c.send(ctx, op, http.MethodPost, path, nil, body, out, decodePayload)
	var e *Error
	if errors.As(err, &e) && e.StatusCode == http.StatusConflict {
		return meta, &ConflictError{Err: e}
	}
	return meta, err
}

// decodePayloadList decodes an envelope whose payload is a JSON array (getDestinations) into
// the field key of out.
func decodePayloadList(key string) func(op string, body []byte, out any) error {
	return func(op string, body []byte, out any) error {
		var env envelope
		if err := json.Unmarshal(body, &env); err != nil {
			return fmt.Errorf("%w: %w", ErrMalformedResponse, err)
		}
		p := bytes.TrimSpace(env.Payload)
		if isNull(p) {
			return fmt.Errorf("%w: no payload", ErrMalformedResponse)
		}
		if p[0] != '[' {
			return fmt.Errorf("%w: the payload is not a list", ErrMalformedResponse)
		}
		k, _ := json.Marshal(key)
		wrapped := append(append(append([]byte{'{'}, k...), ':'), p...)
		return decodeAnswer(op, append(wrapped, '}'), out)
	}
}

// decodeNothing accepts any successful body: the delete operations answer an object with no
// payload (the model's DeleteDestinationResponse has only errors).
func decodeNothing(string, []byte, any) error { return nil }
