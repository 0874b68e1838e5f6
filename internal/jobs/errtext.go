package jobs

import "unicode/utf8"

// maxErrorText is how much of an error message is kept in a last_error
// column.
const maxErrorText = 2000

// ErrorText is err's message cut to maxErrorText bytes on a character
// boundary: a cut inside a multi-byte character would be invalid UTF-8,
// which Postgres refuses, and the error would not be recorded at all.
func ErrorText(err error) string {
	msg := err.Error()
	if len(msg) <= maxErrorText {
		return msg
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut]
}
