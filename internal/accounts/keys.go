package accounts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spsync/spsync/internal/secretbox"
	"github.com/spsync/spsync/internal/store"
)

// Key configuration (README "Credentials").
const (
	EnvSecretKey         = "SPSYNC_SECRET_KEY"
	EnvSecretKeyFile     = "SPSYNC_SECRET_KEY_FILE"
	EnvSecretKeyPrevious = "SPSYNC_SECRET_KEY_PREVIOUS"
	// LocalKeyFileName is the key `make run` keeps in its data directory.
	LocalKeyFileName = "secret.key"
)

// KeyError is a problem with the configured key: which variable, and what
// to do. It never carries the key.
type KeyError struct {
	Var string
	Msg string
}

func (e *KeyError) Error() string { return "config: " + e.Var + ": " + e.Msg }

// LoadKeyring reads the sealing keys: SPSYNC_SECRET_KEY (base64 of 32
// bytes) or SPSYNC_SECRET_KEY_FILE (a file holding it), and optionally
// SPSYNC_SECRET_KEY_PREVIOUS. It returns nil, nil when no key is
// configured.
func LoadKeyring(getenv func(string) string) (*secretbox.Keyring, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	text, file := strings.TrimSpace(getenv(EnvSecretKey)), strings.TrimSpace(getenv(EnvSecretKeyFile))
	if text != "" && file != "" {
		return nil, &KeyError{EnvSecretKey, "both SPSYNC_SECRET_KEY and SPSYNC_SECRET_KEY_FILE are set: keep one"}
	}
	varName := EnvSecretKey
	if file != "" {
		varName = EnvSecretKeyFile
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, &KeyError{EnvSecretKeyFile, fmt.Sprintf("cannot read %s: %v", file, errors.Unwrap(err))}
		}
		text = string(raw)
	}
	prevText := strings.TrimSpace(getenv(EnvSecretKeyPrevious))
	if text == "" {
		if prevText != "" {
			return nil, &KeyError{EnvSecretKeyPrevious, "is set without SPSYNC_SECRET_KEY: set the new key too"}
		}
		return nil, nil
	}
	cur, err := secretbox.ParseKey(text)
	if err != nil {
		return nil, &KeyError{varName, err.Error()}
	}
	ring := &secretbox.Keyring{Current: cur}
	if prevText != "" {
		prev, err := secretbox.ParseKey(prevText)
		if err != nil {
			return nil, &KeyError{EnvSecretKeyPrevious, err.Error()}
		}
		if prev.ID() != cur.ID() {
			ring.Previous = prev
		}
	}
	return ring, nil
}

// LocalKey returns the key kept in dataDir for a local (`make run`)
// deployment, creating it (mode 0600) when create is set and there is none.
// ok is false when there is none and create is not set.
func LocalKey(dataDir string, create bool) (ring *secretbox.Keyring, path string, ok bool, err error) {
	path = filepath.Join(dataDir, LocalKeyFileName)
	raw, err := os.ReadFile(path)
	if err == nil {
		k, perr := secretbox.ParseKey(string(raw))
		if perr != nil {
			return nil, path, false, &KeyError{EnvSecretKeyFile, fmt.Sprintf("%s: %v", path, perr)}
		}
		return &secretbox.Keyring{Current: k}, path, true, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, path, false, fmt.Errorf("read local secret key %s: %w", path, err)
	}
	if !create {
		return nil, path, false, nil
	}
	k, text, err := secretbox.GenerateKey()
	if err != nil {
		return nil, path, false, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, path, false, fmt.Errorf("create %s: %w", dataDir, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, path, false, fmt.Errorf("create local secret key %s: %w", path, err)
	}
	if _, err := f.WriteString(text + "\n"); err != nil {
		_ = f.Close()
		return nil, path, false, fmt.Errorf("write local secret key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, path, false, fmt.Errorf("write local secret key %s: %w", path, err)
	}
	return &secretbox.Keyring{Current: k}, path, true, nil
}

// RefreshTokenBinding binds a sealed refresh token to its account row.
func RefreshTokenBinding(accountID string) secretbox.Binding {
	return secretbox.Binding{Table: "accounts", Owner: accountID, Column: "refresh_token"}
}

// ClientSecretBinding binds a sealed client secret to its application.
func ClientSecretBinding(clientID string) secretbox.Binding {
	return secretbox.Binding{Table: "application_secrets", Owner: clientID, Column: "client_secret"}
}

// HasSealed reports whether any sealed credential is stored.
func HasSealed(ctx context.Context, db store.DBTX) (bool, error) {
	accts, err := store.ListAccounts(ctx, db)
	if err != nil {
		return false, err
	}
	for _, a := range accts {
		if a.RefreshTokenSealed != nil {
			return true, nil
		}
	}
	secrets, err := store.ListApplicationSecrets(ctx, db)
	if err != nil {
		return false, err
	}
	return len(secrets) > 0, nil
}
