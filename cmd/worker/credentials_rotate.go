package main

import (
	"context"
	"io"
)

// runCredentialsRotate is `worker credentials rotate [--client-id ID]`:
// it requests a rotation of the application's LWA client secret now by
// inserting the rotation job (unique per application).
func runCredentialsRotate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	io.WriteString(stderr, "worker credentials rotate: not implemented yet\n")
	return 1
}
