package spapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
)

// applicationBase is the Application Management API's path prefix.
const applicationBase = "/applications/2023-11-30"

// NewApplicationClient builds a client for the Application Management API of the application
// whose LWA client id and secret are opts.Credentials: its token source is grantless, with
// LWA's client_credentials grant for ScopeClientCredentialRotation (opts.TokenSource and the
// refresh token are ignored). opts.Account, when set, only names the client in errors; the
// usage plan of rotateApplicationClientSecret is the application's, not a seller's.
func NewApplicationClient(opts Options) (*Client, error) {
	opts.Credentials.RefreshToken = ""
	return newGrantlessClient(opts, ScopeClientCredentialRotation)
}

// newGrantlessClient builds a client of opts whose token source is LWA's
// client_credentials grant for scope, with opts.Credentials' client id and
// secret (opts.TokenSource is replaced).
func newGrantlessClient(opts Options, scope string) (*Client, error) {
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	ts, err := NewGrantlessTokenSource(LWAOptions{
		Credentials: opts.Credentials,
		Endpoint:    opts.LWAEndpoint,
		HTTPClient:  opts.HTTPClient,
		ExpirySkew:  opts.TokenExpirySkew,
		Now:         opts.Now,
	}, scope)
	if err != nil {
		return nil, err
	}
	opts.TokenSource = ts
	return NewClient(opts)
}

// RotateApplicationClientSecret asks Amazon for a new LWA client secret of the client's
// application (POST /applications/2023-11-30/clientSecret, grantless: build the client with
// NewApplicationClient). Amazon answers 204 without the secret: it arrives as an
// APPLICATION_OAUTH_CLIENT_NEW_SECRET notification on the SQS queue registered in the
// Developer Console, and the old secret keeps working for 7 more days. An application with no
// queue registered gets a 400 that IsNotEnrolledForRotation recognises; retrying it does not
// help. Its usage plan is 0.0167/s, burst 1.
func (c *Client) RotateApplicationClientSecret(ctx context.Context) error {
	_, err := c.send(ctx, OpRotateApplicationClientSecret, http.MethodPost, applicationBase+"/clientSecret", nil, nil, nil, decodeNothing)
	return err
}

// IsNotEnrolledForRotation reports whether err is Amazon's 400 answer to
// rotateApplicationClientSecret for an application that has no queue registered for the
// rotation notifications ("Application is not enrolled for rotation notification. Please
// update application notification preference in Developer console."). The remedy is a
// setting in the Developer Console, not a retry.
func IsNotEnrolledForRotation(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Op != OpRotateApplicationClientSecret || e.StatusCode != http.StatusBadRequest {
		return false
	}
	for _, ae := range e.APIErrors {
		if strings.Contains(strings.ToLower(ae.Message), "not enrolled") {
			return true
		}
	}
	return false
}
