package logging

import (
	"io"
	"log/slog"
)

// New returns a logger writing to w in c's format at c's level and above.
func New(w io.Writer, c Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.Level}
	if c.Format == Text {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// FromEnv is Load then New for w, the process's log writer: text when w
// is a terminal and SPSYNC_LOG_FORMAT is unset, JSON otherwise.
func FromEnv(w io.Writer, getenv func(string) string) (*slog.Logger, error) {
	c, err := Load(getenv, IsTerminal(w))
	if err != nil {
		return nil, err
	}
	return New(w, c), nil
}
