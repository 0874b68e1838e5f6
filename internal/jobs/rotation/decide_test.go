package rotation

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/store"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	const before = 720 * time.Hour
	day := 24 * time.Hour
	primary := func(expires *time.Time) *store.ApplicationSecret {
		return &store.ApplicationSecret{ID: 1, State: store.SecretPrimary, ExpiresAt: expires, Source: accounts.SourceEnvironment, ReceivedAt: now.Add(-170 * day)}
	}
	pending := &store.ApplicationSecret{ID: 2, State: store.SecretPending, ExpiresAt: at(180 * day), Source: accounts.SourceNotification, ReceivedAt: now.Add(-time.Minute)}
	expiredPending := &store.ApplicationSecret{ID: 3, State: store.SecretPending, ExpiresAt: at(-time.Minute), Source: accounts.SourceOperator, ReceivedAt: now.Add(-200 * day)}
	lateNewSecret := &store.ApplicationSecret{ID: 4, State: store.SecretRetired, ExpiresAt: at(-day), Source: accounts.SourceNotification, ReceivedAt: now.Add(-30 * time.Minute)}
	tests := []struct {
		name    string
		app     store.Application
		secrets []*store.ApplicationSecret
		want    Action
	}{
		{"FarFromExpiry", store.Application{}, []*store.ApplicationSecret{primary(at(60 * day))}, Nothing},
		{"JustOutsideTheWindow", store.Application{}, []*store.ApplicationSecret{primary(at(before + time.Second))}, Nothing},
		// At exactly RotateBefore the 30-day warning fires: so does the rotation.
		{"AtTheWindow", store.Application{}, []*store.ApplicationSecret{primary(at(before))}, Rotate},
		{"InsideTheWindow", store.Application{}, []*store.ApplicationSecret{primary(at(before - time.Second))}, Rotate},
		{"AlreadyExpired", store.Application{}, []*store.ApplicationSecret{primary(at(-time.Hour))}, Rotate},
		{"ExpiryUnknown", store.Application{}, []*store.ApplicationSecret{primary(nil)}, Nothing},
		{"NoPrimary", store.Application{}, []*store.ApplicationSecret{{ID: 9, State: store.SecretFallback, ExpiresAt: at(day)}}, Nothing},
		{"PendingSecretWaits", store.Application{}, []*store.ApplicationSecret{primary(at(day)), pending}, Nothing},
		{"ExpiredPendingDoesNotBlock", store.Application{}, []*store.ApplicationSecret{primary(at(day)), expiredPending}, Rotate},
		{"NotEnrolled", store.Application{NotEnrolledAt: at(-day)}, []*store.ApplicationSecret{primary(at(day))}, Nothing},
		{"GaveUp", store.Application{RotationAttempts: 2, RotationRequestedAt: at(-3 * time.Hour), RotationGaveUpAt: at(-time.Hour)},
			[]*store.ApplicationSecret{primary(at(day))}, Nothing},
		{"FirstAttemptWithinTheHour", store.Application{RotationAttempts: 1, RotationRequestedAt: at(-59 * time.Minute)},
			[]*store.ApplicationSecret{primary(at(day))}, Nothing},
		{"SecondAttemptAfterAnHour", store.Application{RotationAttempts: 1, RotationRequestedAt: at(-time.Hour)},
			[]*store.ApplicationSecret{primary(at(day))}, Rotate},
		{"NewSecretSinceTheRequest", store.Application{RotationAttempts: 1, RotationRequestedAt: at(-2 * time.Hour)},
			[]*store.ApplicationSecret{primary(at(day)), lateNewSecret}, Nothing},
		{"SecondAttemptWithinTheHour", store.Application{RotationAttempts: 2, RotationRequestedAt: at(-10 * time.Minute)},
			[]*store.ApplicationSecret{primary(at(day))}, Nothing},
		{"GiveUpAfterTwo", store.Application{RotationAttempts: 2, RotationRequestedAt: at(-61 * time.Minute)},
			[]*store.ApplicationSecret{primary(at(day))}, GiveUp},
		{"AttemptsWithoutARequestTimeRotate", store.Application{RotationAttempts: 1},
			[]*store.ApplicationSecret{primary(at(day))}, Rotate},
		// Attempts and a give-up from before the primary was received are
		// an older secret's: this one starts again.
		{"GaveUpOnAnOlderSecret", store.Application{RotationAttempts: 2, RotationRequestedAt: at(-200 * day), RotationGaveUpAt: at(-199 * day)},
			[]*store.ApplicationSecret{primary(at(day))}, Rotate},
		{"AttemptsOfAnOlderSecret", store.Application{RotationAttempts: 2, RotationRequestedAt: at(-171 * day)},
			[]*store.ApplicationSecret{primary(at(day))}, Rotate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Decide(&tt.app, tt.secrets, now, before)
			require.Equal(t, tt.want, d.Action, d.Reason)
			require.NotEmpty(t, d.Reason)
			fresh := tt.app.RotationAttempts == 0 || tt.app.RotationRequestedAt == nil || tt.app.RotationRequestedAt.Before(now.Add(-170*day))
			require.Equal(t, d.Action == Rotate && fresh, d.Fresh, "a first rotation of this secret starts the count")
		})
	}
}
