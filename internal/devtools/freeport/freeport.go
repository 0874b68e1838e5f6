// Package freeport finds, for tests, a loopback address nothing listens on,
// for a server that must be told its address before it starts (the
// worker's OAuth listener, whose base URL names it; Prometheus' flag). It is
// development tooling and is not shipped.
//
// The port is drawn below Linux's ephemeral range (32768–60999). A port
// the kernel handed out for ":0" and that was closed again goes back to
// that range, where the next ":0" listener or outgoing connection of
// another test can take it before the server binds it: CI saw "address
// already in use" from exactly that.
package freeport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
)

// Loopback returns "127.0.0.1:PORT" with a port in 20000–31999 that nothing
// listened on when it was tried.
func Loopback(t testing.TB) string {
	t.Helper()
	for range 100 {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12000))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		if err := ln.Close(); err != nil {
			t.Fatalf("freeport: close %s: %v", addr, err)
		}
		return addr
	}
	t.Fatal("freeport: no free loopback port in 20000–31999 after 100 tries")
	return ""
}
