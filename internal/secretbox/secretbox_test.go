package secretbox_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/spsync/spsync/internal/secretbox"
)

func mustKey(t *testing.T) (*secretbox.Key, string) {
	t.Helper()
	k, text, err := secretbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k, text
}

func TestSealOpen(t *testing.T) {
	cur, curText := mustKey(t)
	prev, _ := mustKey(t)
	parsed, err := secretbox.ParseKey("  " + curText + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if parsed.ID() != cur.ID() {
		t.Fatalf("parsed key id %s, want %s", parsed.ID(), cur.ID())
	}
	b := secretbox.Binding{Table: "accounts", Owner: "acme-us", Column: "refresh_token"}
	const secret = "Atzr|IwEBIexample-refresh-token"

	oldRing := &secretbox.Keyring{Current: prev}
	newRing := &secretbox.Keyring{Current: cur, Previous: prev}
	sealedOld, err := oldRing.Seal(b, secret)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealedOld, secret) || strings.Contains(sealedOld, "IwEB") {
		t.Fatalf("sealed value shows the secret: %s", sealedOld)
	}

	tests := []struct {
		name    string
		ring    *secretbox.Keyring
		binding secretbox.Binding
		value   string
		want    error
	}{
		{"previous key opens", newRing, b, sealedOld, nil},
		{"key missing", &secretbox.Keyring{Current: cur}, b, sealedOld, secretbox.ErrWrongKey},
		{"other owner", newRing, secretbox.Binding{Table: "accounts", Owner: "acme-eu", Column: "refresh_token"}, sealedOld, secretbox.ErrTampered},
		{"other column", newRing, secretbox.Binding{Table: "accounts", Owner: "acme-us", Column: "client_secret"}, sealedOld, secretbox.ErrTampered},
		{"altered", newRing, b, sealedOld[:len(sealedOld)-2] + "AA", secretbox.ErrTampered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.ring.Open(tt.binding, tt.value)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open error = %v, want %v", err, tt.want)
			}
			if err == nil && got != secret {
				t.Fatalf("Open = %q", got)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Fatalf("error shows the secret: %v", err)
			}
		})
	}

	if !newRing.NeedsRekey(sealedOld) {
		t.Fatal("a value sealed with the previous key needs a rekey")
	}
	sealedNew, err := newRing.Seal(b, secret)
	if err != nil {
		t.Fatal(err)
	}
	if newRing.NeedsRekey(sealedNew) {
		t.Fatal("a value sealed with the current key needs no rekey")
	}
	if sealedNew == sealedOld {
		t.Fatal("two seals of one secret are equal: nonce reused")
	}
}

func TestParseKeyErrorsDoNotEchoInput(t *testing.T) {
	for _, in := range []string{"", "not base64 !!", "c2hvcnQ="} {
		_, err := secretbox.ParseKey(in)
		if err == nil {
			t.Fatalf("ParseKey(%q) accepted", in)
		}
		if in != "" && strings.Contains(err.Error(), in) {
			t.Fatalf("error echoes the key: %v", err)
		}
	}
}
