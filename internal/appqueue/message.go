package appqueue

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/spsync/spsync/internal/config"
)

// Application notification types.
const (
	TypeNewSecret    = "APPLICATION_OAUTH_CLIENT_NEW_SECRET"
	TypeSecretExpiry = "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY"
)

// errMalformed is an application notification spsync cannot read. Its
// text never quotes the message: a NEW_SECRET body holds a secret.
var errMalformed = errors.New("malformed application notification")

// Notice is one application notification, parsed.
type Notice struct {
	Type           string
	NotificationID string
	ClientID       string
	// NewSecret, NewExpiry and OldExpiry are a NEW_SECRET's payload.
	// NewSecret prints as [redacted].
	NewSecret config.Secret
	NewExpiry time.Time
	OldExpiry time.Time
	// Expiry is an EXPIRY's clientSecretExpiryTime.
	Expiry time.Time
}

// envelope is Amazon's application notification (samples in
// amazon-examples/newer-apis/application-notifications).
type envelope struct {
	NotificationType string `json:"notificationType"`
	Payload          struct {
		NewSecret *struct {
			ClientID                  string    `json:"clientId"`
			NewClientSecret           string    `json:"newClientSecret"`
			NewClientSecretExpiryTime time.Time `json:"newClientSecretExpiryTime"`
			OldClientSecretExpiryTime time.Time `json:"oldClientSecretExpiryTime"`
		} `json:"applicationOAuthClientNewSecret"`
		Expiry *struct {
			ClientID               string    `json:"clientId"`
			ClientSecretExpiryTime time.Time `json:"clientSecretExpiryTime"`
		} `json:"applicationOAuthClientSecretExpiry"`
	} `json:"payload"`
	NotificationMetadata struct {
		NotificationID string `json:"notificationId"`
	} `json:"notificationMetadata"`
}

// Parse reads an SQS message body. mine is false for anything that is not
// an application notification (ORDER_CHANGE and other SP-API
// notifications, which are PascalCase, or not JSON at all): the caller
// leaves those alone. For an application notification it cannot read, mine
// is true and err is set.
func Parse(body []byte) (n Notice, mine bool, err error) {
	var head struct {
		NotificationType string `json:"notificationType"`
	}
	if json.Unmarshal(body, &head) != nil {
		return Notice{}, false, nil
	}
	if head.NotificationType != TypeNewSecret && head.NotificationType != TypeSecretExpiry {
		return Notice{}, false, nil
	}
	var env envelope
	if json.Unmarshal(body, &env) != nil {
		return Notice{Type: head.NotificationType}, true, errMalformed
	}
	n = Notice{Type: env.NotificationType, NotificationID: env.NotificationMetadata.NotificationID}
	switch p := env.Payload; n.Type {
	case TypeNewSecret:
		if p.NewSecret == nil || p.NewSecret.ClientID == "" || p.NewSecret.NewClientSecret == "" ||
			p.NewSecret.NewClientSecretExpiryTime.IsZero() || n.NotificationID == "" {
			return n, true, errMalformed
		}
		n.ClientID, n.NewSecret = p.NewSecret.ClientID, config.Secret(p.NewSecret.NewClientSecret)
		n.NewExpiry, n.OldExpiry = p.NewSecret.NewClientSecretExpiryTime, p.NewSecret.OldClientSecretExpiryTime
	default:
		if p.Expiry == nil || p.Expiry.ClientID == "" || p.Expiry.ClientSecretExpiryTime.IsZero() {
			return n, true, errMalformed
		}
		n.ClientID, n.Expiry = p.Expiry.ClientID, p.Expiry.ClientSecretExpiryTime
	}
	return n, true, nil
}
