package reliability

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/accounts"
	"github.com/spsync/spsync/internal/appqueue"
	"github.com/spsync/spsync/internal/localpg"
	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/sim"
	"github.com/spsync/spsync/internal/spapi"
	"github.com/spsync/spsync/internal/store"
)

// applicationQueueARN is the queue the simulator's application is
// registered with: rotateApplicationClientSecret works, and its NEW_SECRET
// is kept by the simulator (no sink) for the test to store.
const applicationQueueARN = "arn:aws:sqs:us-east-1:000000000000:spsync-application"

// pgDump returns `pg_dump` of the database at url: schema and every row,
// as an operator's backup would hold them. pg_dump is found where the
// local server's binaries are (localpg.FindBinDir: PATH, pg_config, then
// /usr/lib/postgresql/N/bin), since Debian installs it with them.
func pgDump(t *testing.T, url string) string {
	t.Helper()
	dir, err := localpg.FindBinDir()
	require.NoError(t, err, "pg_dump is needed for the secrets check")
	bin := filepath.Join(dir, "pg_dump")
	_, err = os.Stat(bin)
	require.NoError(t, err, "pg_dump next to the PostgreSQL server binaries")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "--no-owner", "--no-privileges", "--dbname", url)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "pg_dump: %s", stderr.String())
	return stdout.String()
}

// rotateAndStore plays an automatic rotation while a keyed worker runs:
// the rotation bookkeeping a rotation job writes, the simulator's
// rotateApplicationClientSecret, and the NEW_SECRET stored (sealed) as
// the application queue consumer stores it. It returns the new secret.
func rotateAndStore(t *testing.T, s *servedSim, pool *pgxpool.Pool, keys *secretbox.Keyring, clientID, clientSecret string) string {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	lastErr := "an earlier rotation's NEW_SECRET did not arrive"
	require.NoError(t, store.UpdateApplicationRotation(ctx, pool, store.ApplicationRotation{
		ClientID: clientID, RotationAttempts: 1, RotationRequestedAt: &now, LastRotationError: &lastErr,
	}))
	app, err := spapi.NewApplicationClient(spapi.Options{
		Region: spapi.RegionNA, Endpoint: s.URL, LWAEndpoint: s.URL + "/auth/o2/token",
		Credentials: spapi.Credentials{ClientID: clientID, ClientSecret: clientSecret},
	})
	require.NoError(t, err)
	// This call is the test's, not the worker's: the simulator's faults (a
	// share of calls answer 500, after the call took rotateApplicationClientSecret's
	// one token a minute) are off for it and back on after it.
	faults := s.Faults()
	s.SetFaults(sim.Faults{})
	err = app.RotateApplicationClientSecret(ctx)
	s.SetFaults(faults)
	require.NoError(t, err)
	var notice *appqueue.Notice
	for _, n := range s.ApplicationNotifications() {
		if n.Type == appqueue.TypeNewSecret {
			p, mine, err := appqueue.Parse(n.Body)
			require.NoError(t, err)
			require.True(t, mine)
			notice = &p
		}
	}
	require.NotNil(t, notice, "the simulator sent a NEW_SECRET")
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		outcome, err := accounts.StoreNewSecret(ctx, tx, keys, accounts.NewSecretNotice{
			ClientID: notice.ClientID, NewSecret: string(notice.NewSecret), NewExpiry: notice.NewExpiry,
			OldExpiry: notice.OldExpiry, NotificationID: notice.NotificationID, Now: time.Now(),
		})
		if err == nil && outcome != accounts.NoticeStored {
			err = fmt.Errorf("NEW_SECRET %s", outcome)
		}
		return err
	}))
	return string(notice.NewSecret)
}
