package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name        string
		format      string
		level       string
		terminal    bool
		want        Config
		errVar      string // the variable a bad value names
		errMentions []string
	}{
		{name: "defaults on a terminal", terminal: true, want: Config{Text, slog.LevelInfo}},
		{name: "defaults without a terminal keep JSON", want: Config{JSON, slog.LevelInfo}},
		{name: "json on a terminal", format: "json", terminal: true, want: Config{JSON, slog.LevelInfo}},
		{name: "text into a pipe", format: "text", want: Config{Text, slog.LevelInfo}},
		{name: "case and spaces", format: " JSON ", level: "Debug", terminal: true, want: Config{JSON, slog.LevelDebug}},
		{name: "debug", level: "debug", want: Config{JSON, slog.LevelDebug}},
		{name: "warn", level: "warn", want: Config{JSON, slog.LevelWarn}},
		{name: "error", level: "error", want: Config{JSON, slog.LevelError}},
		{name: "bad format", format: "logfmt", errVar: FormatVar, errMentions: []string{`"logfmt"`, "text", "json"}},
		{name: "bad level", level: "verbose", errVar: LevelVar, errMentions: []string{`"verbose"`, "debug", "info", "warn", "error"}},
		{name: "slog offsets are not levels", level: "info+2", errVar: LevelVar},
		{name: "warning is not a level", level: "warning", errVar: LevelVar},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{FormatVar: tc.format, LevelVar: tc.level}
			got, err := Load(func(k string) string { return env[k] }, tc.terminal)
			if tc.errVar == "" {
				require.NoError(t, err)
				require.Equal(t, tc.want, got)
				return
			}
			var cerr *VarError
			require.True(t, errors.As(err, &cerr), "a config error, got %v", err)
			require.Equal(t, tc.errVar, cerr.Var)
			require.True(t, strings.HasPrefix(err.Error(), "config: "+tc.errVar+": "), err.Error())
			for _, m := range tc.errMentions {
				require.Contains(t, err.Error(), m)
			}
		})
	}
}

func TestNewWritesTheFormatAtTheLevel(t *testing.T) {
	for _, tc := range []struct {
		name   string
		c      Config
		want   []string // messages written, in order
		isJSON bool
	}{
		{name: "json at info", c: Config{JSON, slog.LevelInfo}, want: []string{"info", "warn", "error"}, isJSON: true},
		{name: "text at debug", c: Config{Text, slog.LevelDebug}, want: []string{"debug", "info", "warn", "error"}},
		{name: "text at error", c: Config{Text, slog.LevelError}, want: []string{"error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := New(&buf, tc.c)
			l.Debug("debug")
			l.Info("info", "k", "v")
			l.Warn("warn")
			l.Error("error")
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			require.Len(t, lines, len(tc.want), buf.String())
			for i, line := range lines {
				if tc.isJSON {
					var rec map[string]any
					require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
					require.Equal(t, tc.want[i], rec["msg"])
				} else {
					require.False(t, json.Valid([]byte(line)), "a text line, not JSON: %s", line)
					require.Contains(t, line, "msg="+tc.want[i])
				}
			}
		})
	}
}

func TestIsTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	require.False(t, IsTerminal(w), "a pipe")
	require.False(t, IsTerminal(&bytes.Buffer{}), "a buffer")
	f, err := os.CreateTemp(t.TempDir(), "log")
	require.NoError(t, err)
	defer f.Close()
	require.False(t, IsTerminal(f), "a file")
}
