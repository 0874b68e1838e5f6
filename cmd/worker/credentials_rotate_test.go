package main

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/config"
	"github.com/spsync/spsync/internal/jobs/rotation"
)

func TestCredentialsRotate(t *testing.T) {
	t.Parallel()
	env := accountsEnv(t)
	var outputs []string
	cmd := func(args ...string) (int, string, string) {
		t.Helper()
		code, out, errOut := runCmd(t, env, args...)
		outputs = append(outputs, out, errOut)
		return code, out, errOut
	}

	code, _, stderr := cmd("credentials", "rotate")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "no application queue (SPSYNC_APP_SQS_QUEUE_URL)")

	env[config.EnvAppQueueURL] = "https://sqs.us-east-1.amazonaws.com/123456789012/spsync-application"
	code, _, stderr = cmd("credentials", "rotate")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "0 applications are stored: name one with --client-id")

	code, _, stderr = cmd("credentials", "set-secret", "--client-id", testClientID, "--client-secret-env", "CLIENT_SECRET", "--expires", "2099-06-01")
	require.Equal(t, 0, code, stderr)
	code, _, stderr = cmd("credentials", "rotate", "--client-id", "amzn1.application-oa2-client.other")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "no application")

	code, out, stderr := cmd("credentials", "rotate")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, testClientID+": rotation queued as job")
	require.Contains(t, out, "spsync-application")
	code, out, stderr = cmd("credentials", "rotate", "--client-id", testClientID)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "a rotation is already queued or running")

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, env["DATABASE_URL"])
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND args->>'client_id' = $2 AND (args->>'operator')::boolean`,
		rotation.RotateArgs{}.Kind(), testClientID).Scan(&n))
	require.Equal(t, 1, n)

	// A pending secret means a rotation happened: nothing is queued.
	_, err = conn.Exec(ctx, `DELETE FROM river_job`)
	require.NoError(t, err)
	code, _, stderr = cmd("credentials", "set-secret", "--client-secret-env", "NEXT_SECRET", "--expires", time.Now().AddDate(1, 0, 0).Format("2006-01-02"))
	require.Equal(t, 0, code, stderr)
	code, out, stderr = cmd("credentials", "rotate")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "waits for LWA to accept it")
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM river_job`).Scan(&n))
	require.Zero(t, n)
	requireNoSecret(t, outputs...)
}
