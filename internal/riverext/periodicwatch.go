package riverext

import (
	"context"
	"log/slog"
	"strings"
)

// River's periodic job enqueuer inserts every periodic job due at one
// instant in one transaction; when that fails (a constraint, the database
// away) it logs an error and tries again only at the next tick, and River
// offers no hook or event for it. The log record is the one signal, so
// WatchPeriodicInserts reads River's log on its way out and hands each such
// failure to a callback that counts it.

// periodicEnqueuerPrefix starts every message of River's periodic job
// enqueuer (maintenance.PeriodicJobEnqueuer in River 0.51).
const periodicEnqueuerPrefix = "maintenance.PeriodicJobEnqueuer: "

// PeriodicFailure is one failure of River's periodic job enqueuer.
type PeriodicFailure struct {
	// What is River's message without its prefix, e.g. "Error inserting
	// periodic jobs".
	What string
	// Err is the error River logged ("" when it logged none).
	Err string
}

// WatchPeriodicInserts returns a logger for River's client that writes
// everything to l and also calls onFailure, synchronously, for every error
// River's periodic job enqueuer logs. onFailure must not block.
func WatchPeriodicInserts(l *slog.Logger, onFailure func(PeriodicFailure)) *slog.Logger {
	return slog.New(&periodicWatch{inner: l.Handler(), onFailure: onFailure})
}

type periodicWatch struct {
	inner     slog.Handler
	onFailure func(PeriodicFailure)
}

// Enabled lets error records through even when the inner handler would drop
// them, so a failure is counted whatever the log level.
func (h *periodicWatch) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelError || h.inner.Enabled(ctx, level)
}

func (h *periodicWatch) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError && strings.HasPrefix(r.Message, periodicEnqueuerPrefix) {
		f := PeriodicFailure{What: strings.TrimPrefix(r.Message, periodicEnqueuerPrefix)}
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "error" || a.Key == "err" {
				f.Err = a.Value.String()
				return false
			}
			return true
		})
		h.onFailure(f)
	}
	if !h.inner.Enabled(ctx, r.Level) {
		return nil
	}
	return h.inner.Handle(ctx, r)
}

func (h *periodicWatch) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &periodicWatch{inner: h.inner.WithAttrs(attrs), onFailure: h.onFailure}
}

func (h *periodicWatch) WithGroup(name string) slog.Handler {
	return &periodicWatch{inner: h.inner.WithGroup(name), onFailure: h.onFailure}
}
