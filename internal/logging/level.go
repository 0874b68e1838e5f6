package logging

import (
	"fmt"
	"log/slog"
	"strings"
)

// LevelVar is the environment variable that chooses the lowest level
// written.
const LevelVar = "SPSYNC_LOG_LEVEL"

// levels are the accepted SPSYNC_LOG_LEVEL values. Only the four names:
// slog also parses offsets such as "info+2", which would only confuse an
// operator reading the configuration.
var levels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

// ParseLevel reads a SPSYNC_LOG_LEVEL value; "" means info.
func ParseLevel(s string) (slog.Level, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if v == "" {
		return slog.LevelInfo, nil
	}
	if l, ok := levels[v]; ok {
		return l, nil
	}
	return 0, fmt.Errorf("%q is not a log level: write debug, info, warn or error (default: info)", s)
}
