package freeport_test

import (
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/devtools/freeport"
)

// TestLoopbackIsFreeAndOutsideTheEphemeralRange: the address can be
// listened on, and its port is not one ":0" could hand to someone else.
func TestLoopbackIsFreeAndOutsideTheEphemeralRange(t *testing.T) {
	t.Parallel()
	addr := freeport.Loopback(t)
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1", host)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	require.GreaterOrEqual(t, p, 20000)
	require.Less(t, p, 32000)
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	require.NoError(t, ln.Close())
}
