package rotation

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spsync/spsync/internal/jobs"
	"github.com/spsync/spsync/internal/secretbox"
)

// CheckEvery is how often, on the real clock, the workers look for
// applications due for a rotation. A rotation is decided days ahead and
// retried after an hour, so ten minutes is soon enough and cheap.
const CheckEvery = 10 * time.Minute

// Deps is what the rotation workers need; build it with NewDeps.
type Deps struct {
	Pool *pgxpool.Pool
	// Keys open the stored client secrets.
	Keys *secretbox.Keyring
	// Budget is the shared rate budget; rotations take tokens of their own
	// bucket per application (BudgetKey).
	Budget jobs.Budget
	// RotateBefore is how long before a known expiry a secret is rotated
	// (config.Rotation.RotateBefore).
	RotateBefore time.Duration
	// Auto is set when automatic rotation is on (config.Rotation.Auto):
	// the check inserts rotations. Off, the check only warns of expiries
	// and only an operator's rotation runs.
	Auto bool
	// Now is the credential clock: expiries, the hour between rotations
	// and warnings are read on it. Defaults to time.Now; tests accelerate
	// it as the simulator's CredentialClock.
	Now func() time.Time
	// Logger defaults to one that drops everything.
	Logger *slog.Logger
	// Endpoint and LWAEndpoint override the SP-API and LWA URLs (the
	// simulator, a proxy), as config.Config's do; HTTPClient sends the
	// requests (default: the SP-API client's).
	Endpoint, LWAEndpoint string
	HTTPClient            *http.Client
	// CheckEvery is how often the check runs on the real clock (default
	// CheckEvery). A test that accelerates the credential clock shortens
	// it.
	CheckEvery time.Duration
	// QueueURL is the application queue, named in the give-up message.
	QueueURL string

	warnings *warnings
}

// warnings remembers, per secret id, the smallest WarnBefore threshold
// warned of by this process.
type warnings struct {
	mu     sync.Mutex
	warned map[int64]time.Duration
}

// NewDeps returns d with its defaults filled.
func NewDeps(d Deps) *Deps {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.RotateBefore <= 0 {
		d.RotateBefore = 720 * time.Hour
	}
	if d.CheckEvery <= 0 {
		d.CheckEvery = CheckEvery
	}
	d.Logger = d.Logger.With("component", "rotation")
	d.warnings = &warnings{warned: map[int64]time.Duration{}}
	return &d
}
