package appqueue

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/sharedtest"
)

func TestParseAmazonSamples(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(sharedtest.ExamplesDir(t, "newer-apis/application-notifications/README.md"), "newer-apis", "application-notifications")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		return b
	}
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		return v
	}

	n, mine, err := Parse(read("APPLICATION_OAUTH_CLIENT_NEW_SECRET.json"))
	require.NoError(t, err)
	require.True(t, mine)
	require.Equal(t, Notice{
		Type: TypeNewSecret, NotificationID: "b0805eb9-78f7-49bb-ac0e-XXXXXXXXXXX",
		ClientID:  "amzn1.application-oa2-client.6XXXXXXXXXXXXXXXXXXXXXXXXX",
		NewSecret: "amzn1.oa2-cs.v1.8b6XXXXXXXXXXXXXXXXXXXXXXXXX",
		NewExpiry: ts("2024-07-08T22:09:17.198Z"), OldExpiry: ts("2024-01-17T22:09:17.180Z"),
	}, n)
	require.NotContains(t, fmt.Sprintf("%v %+v %#v", n, n, n), "amzn1.oa2-cs", "a Notice never prints its secret")

	n, mine, err = Parse(read("APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY.json"))
	require.NoError(t, err)
	require.True(t, mine)
	require.Equal(t, Notice{
		Type: TypeSecretExpiry, NotificationID: "e7e27216-4970-477a-882c-e4xxxxxxxxxxxxxdc",
		ClientID: "amzn1.application-oa2-client.xxxxxxxxxxxxxxxxxxxxxxxxxxxx", Expiry: ts("2024-03-03T22:06:39.224Z"),
	}, n)
}

func TestParseTellsMessagesApart(t *testing.T) {
	t.Parallel()
	const secret = "amzn1.oa2-cs.v1.supersecret"
	tests := []struct {
		name     string
		body     string
		wantMine bool
		wantErr  bool
	}{
		{"OrderChange", `{"NotificationVersion":"1.0","NotificationType":"ORDER_CHANGE","Payload":{"OrderChangeNotification":{}}}`, false, false},
		{"NotJSON", `not json`, false, false},
		{"OtherCamelCase", `{"notificationType":"SOMETHING_ELSE"}`, false, false},
		{"NewSecretWithoutPayload", `{"notificationType":"APPLICATION_OAUTH_CLIENT_NEW_SECRET","notificationMetadata":{"notificationId":"n1"}}`, true, true},
		{"NewSecretWithoutNotificationID", `{"notificationType":"APPLICATION_OAUTH_CLIENT_NEW_SECRET","payload":{"applicationOAuthClientNewSecret":{"clientId":"c","newClientSecret":"` + secret + `","newClientSecretExpiryTime":"2027-01-01T00:00:00Z"}}}`, true, true},
		{"NewSecretBadTime", `{"notificationType":"APPLICATION_OAUTH_CLIENT_NEW_SECRET","payload":{"applicationOAuthClientNewSecret":{"clientId":"c","newClientSecret":"` + secret + `","newClientSecretExpiryTime":"` + secret + `"}},"notificationMetadata":{"notificationId":"n1"}}`, true, true},
		{"ExpiryWithoutTime", `{"notificationType":"APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY","payload":{"applicationOAuthClientSecretExpiry":{"clientId":"c"}}}`, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, mine, err := Parse([]byte(tt.body))
			require.Equal(t, tt.wantMine, mine)
			require.Equal(t, tt.wantErr, err != nil, err)
			if err != nil {
				require.False(t, strings.Contains(err.Error(), secret), "an error never quotes the message")
			}
		})
	}
}
