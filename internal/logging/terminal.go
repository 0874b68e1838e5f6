package logging

import (
	"io"

	"golang.org/x/term"
)

// IsTerminal reports whether w is a terminal: an *os.File (or anything
// else with a file descriptor) whose descriptor is a tty. Buffers, pipes
// and files are not.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}
