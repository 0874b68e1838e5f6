package logging

import (
	"context"
	"log/slog"
	"strings"
)

// River logs its routine work at INFO: the producer's job counts every few
// seconds per queue, every maintenance run, the client's start and stop,
// each retried job error. At the worker's default level that buried
// spsync's own lines ("Producer job counts" was 26 lines in 90 s of an
// idle worker), so River's INFO records go to DEBUG: SPSYNC_LOG_LEVEL=debug
// brings them back. WARN and ERROR records stay as River logged them.
//
// Two INFO messages are not routine and go to WARN instead: a job that
// failed for good (River discards it; spsync_queue_jobs{state="discarded"}
// counts it) and a job that panicked (a bug). River's retried errors stay
// at DEBUG: retries are how transient faults are absorbed, and a job's
// errors are kept with the job (River UI, `worker status`).
var riverRaised = []string{
	// River's job executor, when the last attempt failed (River 0.51:
	// "jobexecutor.JobExecutor: Job errored"; the retried attempts say
	// "Job errored; retrying").
	": Job errored",
	": Job panicked",
}

// ForRiver wraps h, the process's handler, for River's clients (its
// river.Config.Logger and River UI's): River's INFO records are demoted to
// DEBUG, except the few riverRaised, which become WARN.
func ForRiver(h slog.Handler) slog.Handler {
	return &riverHandler{inner: h}
}

type riverHandler struct {
	inner slog.Handler
}

// riverLevel is the level a River record at l with msg is written at.
func riverLevel(l slog.Level, msg string) slog.Level {
	if l < slog.LevelInfo || l >= slog.LevelWarn {
		return l
	}
	for _, suffix := range riverRaised {
		if strings.HasSuffix(msg, suffix) {
			return slog.LevelWarn
		}
	}
	return slog.LevelDebug
}

// Enabled is asked before the message is known: an INFO record is
// wanted when it would be written demoted (DEBUG) or raised (WARN).
func (h *riverHandler) Enabled(ctx context.Context, l slog.Level) bool {
	if l >= slog.LevelInfo && l < slog.LevelWarn {
		return h.inner.Enabled(ctx, slog.LevelDebug) || h.inner.Enabled(ctx, slog.LevelWarn)
	}
	return h.inner.Enabled(ctx, l)
}

func (h *riverHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Level = riverLevel(r.Level, r.Message)
	if !h.inner.Enabled(ctx, r.Level) {
		return nil
	}
	return h.inner.Handle(ctx, r)
}

func (h *riverHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &riverHandler{inner: h.inner.WithAttrs(attrs)}
}

func (h *riverHandler) WithGroup(name string) slog.Handler {
	return &riverHandler{inner: h.inner.WithGroup(name)}
}
