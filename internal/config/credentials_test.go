package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLoadRotation(t *testing.T) {
	t.Parallel()
	const queue = "https://sqs.us-east-1.amazonaws.com/123456789012/spsync-application"
	const dlq = "https://sqs.us-east-1.amazonaws.com/123456789012/spsync-application-dlq"
	tests := []struct {
		name    string
		env     map[string]string
		want    Rotation
		wantVar string // the variable named by the error, "" for none
	}{
		{"NothingSetIsOff", nil, Rotation{RotateBefore: 720 * time.Hour, Mode: RotationOff}, ""},
		{"AQueueTurnsItOn", map[string]string{EnvAppQueueURL: queue},
			Rotation{AppQueueURL: queue, RotateBefore: 720 * time.Hour, Mode: RotationAuto}, ""},
		{"OffWithAQueue", map[string]string{EnvAppQueueURL: queue, EnvSecretRotation: "OFF"},
			Rotation{AppQueueURL: queue, RotateBefore: 720 * time.Hour, Mode: RotationOff}, ""},
		{"AutoWithoutAQueue", map[string]string{EnvSecretRotation: "auto"}, Rotation{}, EnvSecretRotation},
		{"UnknownMode", map[string]string{EnvAppQueueURL: queue, EnvSecretRotation: "sometimes"}, Rotation{}, EnvSecretRotation},
		{"RotateBefore", map[string]string{EnvAppQueueURL: queue, EnvSecretRotateBefore: "240h"},
			Rotation{AppQueueURL: queue, RotateBefore: 240 * time.Hour, Mode: RotationAuto}, ""},
		{"RotateBeforeNotADuration", map[string]string{EnvSecretRotateBefore: "30d"}, Rotation{}, EnvSecretRotateBefore},
		{"RotateBeforeNegative", map[string]string{EnvSecretRotateBefore: "-1h"}, Rotation{}, EnvSecretRotateBefore},
		{"QueueNotAURL", map[string]string{EnvAppQueueURL: "spsync-application"}, Rotation{}, EnvAppQueueURL},
		{"DeadLetterQueue", map[string]string{EnvAppQueueURL: queue, EnvAppDeadLetterURL: dlq},
			Rotation{AppQueueURL: queue, DeadLetterURL: dlq, RotateBefore: 720 * time.Hour, Mode: RotationAuto}, ""},
		{"DeadLetterQueueAlone", map[string]string{EnvAppDeadLetterURL: dlq}, Rotation{}, EnvAppDeadLetterURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := LoadRotation(func(k string) string { return tt.env[k] })
			if tt.wantVar != "" {
				var cerr *Error
				require.ErrorAs(t, err, &cerr)
				require.Equal(t, tt.wantVar, cerr.Var)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.want.Mode == RotationAuto, got.Auto())
		})
	}
}
