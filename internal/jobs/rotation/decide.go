package rotation

import (
	"strconv"
	"time"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/store"
)

const (
	// MaxAttempts is how many rotations spsync asks for per expiring
	// secret without a NEW_SECRET arriving before it gives up.
	MaxAttempts = 2
	// RetryAfter is how long spsync waits for the NEW_SECRET of a
	// rotation before rotating again: Amazon delivers it within seconds.
	RetryAfter = time.Hour
)

// Action is what Decide says to do for an application.
type Action int

// Actions of Decide.
const (
	// Nothing: no rotation now (see Decision.Reason).
	Nothing Action = iota
	// Rotate: call rotateApplicationClientSecret.
	Rotate
	// GiveUp: MaxAttempts rotations brought no NEW_SECRET: set
	// rotation_gave_up_at and say loudly that the queue may be the wrong
	// one.
	GiveUp
)

func (a Action) String() string {
	switch a {
	case Rotate:
		return "rotate"
	case GiveUp:
		return "give up"
	default:
		return "nothing"
	}
}

// Decision is Decide's answer, with the reason in words for logs and the
// operator.
type Decision struct {
	Action Action
	Reason string
	// Expires is the primary secret's known expiry (zero when unknown).
	Expires time.Time
	// Fresh is set on a Rotate for a secret that no rotation was asked
	// for yet: the count of attempts starts over at one.
	Fresh bool
}

// Decide says whether the application's client secret should be rotated
// at now, from its stored row and secrets alone: the primary's known
// expiry is nearer than rotateBefore, no pending secret (a rotation's new
// secret awaiting LWA's acceptance) exists, spsync has not given up and
// Amazon did not say "not enrolled", and either no rotation was asked for
// this secret yet or the last one is over RetryAfter old with no
// NEW_SECRET since. After MaxAttempts such rotations it gives up.
func Decide(app *store.Application, secrets []*store.ApplicationSecret, now time.Time, rotateBefore time.Duration) Decision {
	var primary *store.ApplicationSecret
	for _, s := range secrets {
		switch s.State {
		case store.SecretPrimary:
			primary = s
		case store.SecretPending:
			if accounts.Usable(s, now) {
				return Decision{Action: Nothing, Reason: "a new secret waits for LWA to accept it", Expires: expiryOf(primaryOf(secrets))}
			}
		}
	}
	if primary == nil {
		return Decision{Action: Nothing, Reason: "the application has no primary secret"}
	}
	if primary.ExpiresAt == nil {
		return Decision{Action: Nothing, Reason: "the primary secret's expiry is unknown"}
	}
	expires := *primary.ExpiresAt
	// Attempts and a give-up recorded before the primary secret was
	// received concern an older secret (one an operator replaced by
	// hand, say): this one starts a new count.
	stale := app.RotationRequestedAt != nil && primary.ReceivedAt.After(*app.RotationRequestedAt)
	switch {
	case app.NotEnrolledAt != nil:
		return Decision{Action: Nothing, Reason: "Amazon said no application queue is registered (not enrolled)", Expires: expires}
	case app.RotationGaveUpAt != nil && !stale:
		return Decision{Action: Nothing, Reason: "spsync gave up after " + strconv.Itoa(MaxAttempts) + " rotations without a new secret", Expires: expires}
	case expires.Sub(now) > rotateBefore:
		return Decision{Action: Nothing, Reason: "the primary secret does not expire within " + rotateBefore.String(), Expires: expires}
	case app.RotationAttempts == 0 || app.RotationRequestedAt == nil || stale:
		return Decision{Action: Rotate, Reason: "the primary secret expires at " + expires.UTC().Format(time.RFC3339), Expires: expires, Fresh: true}
	}
	requested := *app.RotationRequestedAt
	for _, s := range secrets {
		if (s.Source == accounts.SourceNotification || s.Source == accounts.SourceDeadLetter) && s.ReceivedAt.After(requested) {
			return Decision{Action: Nothing, Reason: "a new secret arrived after the last rotation", Expires: expires}
		}
	}
	if now.Sub(requested) < RetryAfter {
		return Decision{Action: Nothing, Reason: "waiting for the new secret of the rotation asked at " + requested.UTC().Format(time.RFC3339), Expires: expires}
	}
	if app.RotationAttempts >= MaxAttempts {
		return Decision{Action: GiveUp, Reason: strconv.Itoa(int(app.RotationAttempts)) + " rotations brought no new secret", Expires: expires}
	}
	return Decision{Action: Rotate, Reason: "no new secret arrived within " + RetryAfter.String() + " of the last rotation", Expires: expires}
}

func primaryOf(secrets []*store.ApplicationSecret) *store.ApplicationSecret {
	for _, s := range secrets {
		if s.State == store.SecretPrimary {
			return s
		}
	}
	return nil
}

func expiryOf(s *store.ApplicationSecret) time.Time {
	if s == nil || s.ExpiresAt == nil {
		return time.Time{}
	}
	return *s.ExpiresAt
}
