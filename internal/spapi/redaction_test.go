package spapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/spapi"
)

func TestSecretsNeverFormatted(t *testing.T) {
	t.Parallel()

	creds := spapi.Credentials{ClientID: testClientID, ClientSecret: testClientSecret, RefreshToken: testRefreshToken}
	opts := spapi.Options{Region: spapi.RegionEU, Credentials: creds}
	client, err := spapi.NewClient(opts)
	require.NoError(t, err)
	ts, err := spapi.NewLWATokenSource(spapi.LWAOptions{Credentials: creds})
	require.NoError(t, err)

	values := map[string]any{
		"Credentials":         creds,
		"CredentialsPointer":  &creds,
		"Options":             opts,
		"OptionsPointer":      &opts,
		"Client":              client,
		"LWATokenSource":      ts,
		"CredentialsInStruct": struct{ C spapi.Credentials }{creds},
		"OptionsInSlice":      []spapi.Options{opts},
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
				fmt.Fprintf(&out, verb+"\n", v)
			}
			fmt.Fprintln(&out, v)
			logger := slog.New(slog.NewJSONHandler(&out, nil))
			logger.Info("config", "value", v)
			slog.New(slog.NewTextHandler(&out, nil)).Info("config", "value", v)
			if j, err := json.Marshal(v); err == nil {
				out.Write(j)
			}
			require.NotContains(t, out.String(), testClientSecret)
			require.NotContains(t, out.String(), testRefreshToken)
			require.NotContains(t, out.String(), "sekrit")
		})
	}

	t.Run("ClientIDStaysVisible", func(t *testing.T) {
		t.Parallel()
		require.Contains(t, creds.String(), testClientID)
		require.Contains(t, creds.String(), "[REDACTED]")
	})
}
