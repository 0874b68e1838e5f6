package spapi

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an SP-API failure by what the caller should do about it.
type Kind int

const (
	// KindPermanent is a failure that retrying the same request will not fix and that fits
	// no other kind: an unexpected HTTP status (409, 413, 415, …), a response body over the
	// size limit, or a server that repeats a page token.
	KindPermanent Kind = iota
	// KindThrottled is an HTTP 429: the usage plan's bucket is empty. Retry after the budget
	// refills; Error.RateLimit carries the x-amzn-RateLimit-Limit header when Amazon sent it.
	KindThrottled
	// KindRetryable is a transient failure: HTTP 5xx or 408, a timeout, a reset or dropped
	// connection, a truncated body, and a malformed body on a 2xx response. A malformed 2xx
	// body is classed as retryable because in practice it comes from a connection cut short
	// or a proxy, not from a stable answer; its Err wraps ErrMalformedResponse so callers
	// can cap such retries separately.
	KindRetryable
	// KindInvalidInput is an HTTP 400 or 422, or a request the client refused to send
	// because it breaks a documented rule (StatusCode 0). Amazon's errors[] are in APIErrors.
	KindInvalidInput
	// KindAuth is an access token refused again right after a refresh (403 Unauthorized
	// "expired"/"revoked, malformed or invalid", or 401), or an LWA refusal of the
	// credentials; it needs an operator, not a retry.
	KindAuth
	// KindNotFound is an HTTP 404: the order, package or job does not exist (yet).
	KindNotFound
	// KindPermission is an HTTP 403 that is not about the access token: the application
	// lacks the role or was not granted the API for this operation. A new token does not
	// help; the seller or the developer must change the authorization. It concerns one
	// operation, so the account's other streams carry on.
	KindPermission
)

// String returns a short lower-case name used in error messages and logs.
func (k Kind) String() string {
	switch k {
	case KindThrottled:
		return "throttled"
	case KindRetryable:
		return "retryable"
	case KindInvalidInput:
		return "invalid input"
	case KindAuth:
		return "auth"
	case KindNotFound:
		return "not found"
	case KindPermission:
		return "permission"
	default:
		return "permanent"
	}
}

// kindSentinel is the type of the Err… sentinels; an *Error matches the sentinel of its Kind.
type kindSentinel struct{ kind Kind }

func (s *kindSentinel) Error() string { return "spapi: " + s.kind.String() }

// Sentinels for errors.Is: errors.Is(err, ErrThrottled) is true for every *Error of
// KindThrottled anywhere in err's chain.
var (
	ErrThrottled    error = &kindSentinel{KindThrottled}
	ErrRetryable    error = &kindSentinel{KindRetryable}
	ErrInvalidInput error = &kindSentinel{KindInvalidInput}
	ErrAuth         error = &kindSentinel{KindAuth}
	ErrNotFound     error = &kindSentinel{KindNotFound}
	ErrPermission   error = &kindSentinel{KindPermission}
	ErrPermanent    error = &kindSentinel{KindPermanent}
)

// Causes wrapped in Error.Err, for callers that want to tell them apart from other errors of
// the same Kind.
var (
	// ErrMalformedResponse means a 2xx body was not the JSON the operation documents
	// (syntax error, truncation, missing payload, wrong types, missing required identifiers).
	ErrMalformedResponse = errors.New("spapi: malformed response body")
	// ErrResponseTooLarge means a body exceeded Options.MaxBodyBytes; reading stopped at the
	// limit so a runaway response cannot exhaust memory.
	ErrResponseTooLarge = errors.New("spapi: response body exceeds size limit")
	// ErrSecretRefused means SP-API refused the access token because of the LWA client
	// secret that minted it ("The LWA secret token you provided has expired.") and the token
	// source knew no other secret to try.
	ErrSecretRefused = errors.New("spapi: LWA client secret behind the access token refused")
	// ErrTokenRefused means SP-API refused a freshly refreshed access token as expired or
	// invalid: the credentials, not the token's age, are the problem.
	ErrTokenRefused = errors.New("spapi: access token refused after refresh")
	// ErrRepeatedPageToken means the server answered a page with the token that requested
	// it, which would make a pager loop forever.
	ErrRepeatedPageToken = errors.New("spapi: server repeated the page token")
)

// APIError is one entry of the errors[] array Amazon returns with a failed request.
type APIError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details string `json:"details,omitempty"`
	// ErrorLevel is "ERROR" or "WARNING"; only Services v1 sends it.
	ErrorLevel string `json:"errorLevel,omitempty"`
}

// Error is every failure of an SP-API or LWA call. It carries enough context to log and to
// act on: the operation, the HTTP status (0 when no response arrived), Amazon's request id,
// the rate limit header and Amazon's errors[]. Use errors.As to get at it, or errors.Is with
// the Err… sentinels to test its Kind.
type Error struct {
	// Op is the operation name (one of the Op… constants, or "lwaRefreshToken").
	Op string
	// Kind classifies the failure.
	Kind Kind
	// StatusCode is the HTTP status, 0 when no response was received or the request was
	// refused before sending.
	StatusCode int
	// RequestID is the x-amzn-RequestId header, empty when absent.
	RequestID string
	// RateLimit is the x-amzn-RateLimit-Limit header in requests per second, 0 when absent
	// (Amazon does not always send it, notably on 429s).
	RateLimit float64
	// APIErrors are Amazon's errors[] from the body, when it had any.
	APIErrors []APIError
	// Err is the underlying cause (transport error, ErrMalformedResponse, …), may be nil.
	Err error
}

// Error formats the failure on one line; it never contains a secret because neither the
// request headers nor the LWA form are part of it.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "spapi: %s: %s", e.Op, e.Kind)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, " (HTTP %d", e.StatusCode)
		if e.RequestID != "" {
			fmt.Fprintf(&b, ", request id %s", e.RequestID)
		}
		b.WriteString(")")
	}
	for _, ae := range e.APIErrors {
		fmt.Fprintf(&b, ": %s: %s", ae.Code, ae.Message)
		if ae.Details != "" {
			fmt.Fprintf(&b, " (%s)", ae.Details)
		}
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap exposes the cause so errors.Is(err, context.DeadlineExceeded) and friends work.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's Kind.
func (e *Error) Is(target error) bool {
	s, ok := target.(*kindSentinel)
	return ok && s.kind == e.Kind
}

// Retryable reports whether the failure is worth retrying later: throttled or transient.
func (e *Error) Retryable() bool {
	return e.Kind == KindThrottled || e.Kind == KindRetryable
}

// IsRetryable reports whether err is an *Error worth retrying later (throttled or
// transient); anything else, including unclassified errors, is reported as not retryable.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable()
}

// kindForStatus maps an HTTP status of a failed response to its Kind.
func kindForStatus(status int) Kind {
	switch {
	case status == 429:
		return KindThrottled
	case status == 401:
		return KindAuth
	case status == 403:
		return KindPermission
	case status == 404:
		return KindNotFound
	case status == 400 || status == 422:
		return KindInvalidInput
	case status == 408 || status >= 500:
		return KindRetryable
	default:
		return KindPermanent
	}
}
