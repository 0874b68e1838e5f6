package worker

import (
	"context"
	"log/slog"
	"sync"
)

// gatedHandler passes records to its inner handler until closed, then
// drops them. River UI runs background work that may still log after Run
// returns; the caller's log writer must not be written to after that.
type gatedHandler struct {
	inner slog.Handler
	gate  *gate
}

type gate struct {
	mu     sync.RWMutex
	closed bool
}

// close waits for records being written and drops every later one.
func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
}

func newGatedLogger(l *slog.Logger) (*slog.Logger, *gate) {
	g := &gate{}
	return slog.New(&gatedHandler{inner: l.Handler(), gate: g}), g
}

func (h *gatedHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h *gatedHandler) Handle(ctx context.Context, r slog.Record) error {
	h.gate.mu.RLock()
	defer h.gate.mu.RUnlock()
	if h.gate.closed {
		return nil
	}
	return h.inner.Handle(ctx, r)
}

func (h *gatedHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &gatedHandler{inner: h.inner.WithAttrs(attrs), gate: h.gate}
}

func (h *gatedHandler) WithGroup(name string) slog.Handler {
	return &gatedHandler{inner: h.inner.WithGroup(name), gate: h.gate}
}
