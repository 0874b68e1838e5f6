package logging

import (
	"fmt"
	"strings"
)

// Format is how log records are written.
type Format string

const (
	// Text writes key=value lines (slog's TextHandler): readable in a
	// terminal, still parseable as logfmt.
	Text Format = "text"
	// JSON writes one JSON object a line (slog's JSONHandler), as the
	// worker always did: what log shippers and `jq` expect.
	JSON Format = "json"
)

// FormatVar is the environment variable that chooses the format.
const FormatVar = "SPSYNC_LOG_FORMAT"

// ParseFormat reads a SPSYNC_LOG_FORMAT value; "" means the default, which
// depends on whether the output is a terminal (text) or not (JSON), so
// that a service, a container or a pipe keeps JSON unless told otherwise.
func ParseFormat(s string, terminal bool) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "":
		if terminal {
			return Text, nil
		}
		return JSON, nil
	case Text, JSON:
		return f, nil
	default:
		return "", fmt.Errorf("%q is not a log format: write text or json (default: text on a terminal, json otherwise)", s)
	}
}
