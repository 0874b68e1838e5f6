package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Automatic client-secret rotation (README "Credentials").
const (
	EnvAppQueueURL        = "SPSYNC_APP_SQS_QUEUE_URL"
	EnvAppDeadLetterURL   = "SPSYNC_APP_SQS_DLQ_URL"
	EnvSecretRotateBefore = "SPSYNC_SECRET_ROTATE_BEFORE"
	EnvSecretRotation     = "SPSYNC_SECRET_ROTATION"

	// RotationAuto and RotationOff are the values of SPSYNC_SECRET_ROTATION.
	RotationAuto = "auto"
	RotationOff  = "off"

	// DefaultRotateBefore is how long before a client secret's known
	// expiry spsync rotates it: 30 days leaves room for two tries an hour
	// apart and for an operator to act on the loud status if both fail,
	// while Amazon's 180-day secrets are rotated at most once a month.
	DefaultRotateBefore = 720 * time.Hour
)

// Rotation configures the application queue and automatic rotation of
// the applications' LWA client secrets.
type Rotation struct {
	// AppQueueURL is the SQS queue registered in the Developer Console
	// (Notification preferences) for APPLICATION_OAUTH_CLIENT_NEW_SECRET
	// and APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY (SPSYNC_APP_SQS_QUEUE_URL).
	// It may be the push queue: messages are told apart by type. Empty:
	// Amazon tells spsync nothing about its secrets.
	AppQueueURL string
	// DeadLetterURL is the application queue's dead-letter queue
	// (SPSYNC_APP_SQS_DLQ_URL), searched for NEW_SECRET messages a worker
	// that did not know them left there. Empty: found through the queue's
	// RedrivePolicy.
	DeadLetterURL string
	// RotateBefore is how long before a secret's known expiry it is
	// rotated (SPSYNC_SECRET_ROTATE_BEFORE, default 720h).
	RotateBefore time.Duration
	// Mode is RotationAuto or RotationOff (SPSYNC_SECRET_ROTATION).
	Mode string
}

// Auto reports whether spsync rotates secrets by itself.
func (r Rotation) Auto() bool { return r.Mode == RotationAuto }

// LoadRotation reads the rotation settings.
//
// SPSYNC_SECRET_ROTATION defaults to auto when an application queue is
// configured and to off otherwise. With the queue, this deployment is the
// one that reads the new secrets, so it is the one that may ask for them:
// one application's secret serves every system using it, and only the
// reader of the queue learns the new one. Without the queue a rotation
// would send the new secret where spsync never sees it, and the old one
// would stop working 7 days later: rotation must then be asked for
// explicitly (and is refused by LoadRotation).
func LoadRotation(getenv func(string) string) (Rotation, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	r := Rotation{
		AppQueueURL:   get(EnvAppQueueURL),
		DeadLetterURL: get(EnvAppDeadLetterURL),
		RotateBefore:  DefaultRotateBefore,
	}
	for _, v := range []struct{ name, value string }{{EnvAppQueueURL, r.AppQueueURL}, {EnvAppDeadLetterURL, r.DeadLetterURL}} {
		if v.value == "" {
			continue
		}
		if u, err := url.Parse(v.value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") == "" {
			return Rotation{}, &Error{v.name, fmt.Sprintf("%q is not an SQS queue URL: set it like https://sqs.us-east-1.amazonaws.com/123456789012/spsync-application", v.value)}
		}
	}
	if r.DeadLetterURL != "" && r.AppQueueURL == "" {
		return Rotation{}, &Error{EnvAppDeadLetterURL, "is set without " + EnvAppQueueURL + ": set the application queue too, or unset it"}
	}
	if v := get(EnvSecretRotateBefore); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return Rotation{}, &Error{EnvSecretRotateBefore, fmt.Sprintf("%q is not a positive duration: set it like 720h (30 days)", v)}
		}
		r.RotateBefore = d
	}
	switch v := strings.ToLower(get(EnvSecretRotation)); v {
	case "":
		r.Mode = RotationOff
		if r.AppQueueURL != "" {
			r.Mode = RotationAuto
		}
	case RotationAuto:
		if r.AppQueueURL == "" {
			return Rotation{}, &Error{EnvSecretRotation, "auto needs " + EnvAppQueueURL + ": without the application queue the new secret would be lost and the old one stop working 7 days later"}
		}
		r.Mode = RotationAuto
	case RotationOff:
		r.Mode = RotationOff
	default:
		return Rotation{}, &Error{EnvSecretRotation, fmt.Sprintf("%q is not auto or off", v)}
	}
	return r, nil
}
