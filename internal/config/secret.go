package config

import "log/slog"

// Secret holds a credential. It prints as "[redacted]" through fmt, slog and
// JSON so that a config dump or an error can never leak it; Reveal is the one
// way to read it.
type Secret string

// Reveal returns the secret's value, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString implements fmt.GoStringer, for %#v.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler, so JSON output redacts too.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
