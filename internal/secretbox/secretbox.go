// Package secretbox seals the secrets spsync must keep (sellers' refresh
// tokens, applications' LWA client secrets) so that Postgres never holds
// them in plaintext.
//
// It uses AES-256-GCM from the standard library. A sealed value carries the
// id of the key that sealed it, so a worker holding the current key and the
// previous one (SPSYNC_SECRET_KEY, SPSYNC_SECRET_KEY_PREVIOUS) can read
// rows while `worker credentials rekey` re-seals them, and it is bound to
// its row: the associated data names the table, the owner id and the
// column, so a ciphertext copied to another row or column does not open.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of a key: AES-256.
const KeySize = 32

// prefix starts every sealed value; its version lets a later format live
// beside this one.
const prefix = "sb1"

// Key is one sealing key. Its ID is derived from its bytes, so the same key
// has the same id on every worker without configuring one.
type Key struct {
	id   string
	aead cipher.AEAD
}

// ID is the key's id: the first 8 bytes of SHA-256 over "spsync key id" and
// the key, in hex. It identifies, it does not reveal.
func (k *Key) ID() string { return k.id }

// String never prints the key.
func (k *Key) String() string { return "secretbox.Key{ID: " + k.id + "}" }

// GoString makes %#v print the id only.
func (k *Key) GoString() string { return k.String() }

// NewKey makes a key from KeySize raw bytes.
func NewKey(raw []byte) (*Key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("a secret key is %d bytes (got %d): make one with `openssl rand -base64 32`", KeySize, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	sum := sha256.Sum256(append([]byte("spsync key id\x00"), raw...))
	return &Key{id: hex.EncodeToString(sum[:8]), aead: aead}, nil
}

// ParseKey reads a key written as base64 (standard or URL alphabet, padded
// or not) of KeySize bytes, as `openssl rand -base64 32` prints it.
// Surrounding white space is ignored. The error never echoes the input.
func ParseKey(text string) (*Key, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, errors.New("the secret key is empty")
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(text); err == nil {
			return NewKey(raw)
		}
	}
	return nil, fmt.Errorf("the secret key is not base64 of %d bytes: make one with `openssl rand -base64 32`", KeySize)
}

// GenerateKey returns a new random key and its base64 text.
func GenerateKey() (*Key, string, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", fmt.Errorf("generate secret key: %w", err)
	}
	k, err := NewKey(raw)
	if err != nil {
		return nil, "", err
	}
	return k, base64.StdEncoding.EncodeToString(raw), nil
}

// Binding is what a sealed value belongs to: it is the AEAD's associated
// data, so a value opens only where it was sealed.
type Binding struct {
	Table, Owner, Column string
}

func (b Binding) ad() []byte {
	return []byte("spsync\x00" + b.Table + "\x00" + b.Owner + "\x00" + b.Column)
}

func (b Binding) String() string { return b.Table + "." + b.Column + " of " + b.Owner }

// ErrWrongKey is returned when no key of the Keyring has the id a sealed
// value names: the worker was given another key than the one that sealed
// the rows.
var ErrWrongKey = errors.New("sealed with a key this worker does not have")

// ErrTampered is returned when a value's key is known but it does not open:
// it was altered, or moved to another row or column.
var ErrTampered = errors.New("does not open: altered, or copied from another row")

// Keyring is the current key, which seals, and optionally the previous one,
// which only opens.
type Keyring struct {
	Current  *Key
	Previous *Key
}

// Seal encrypts plaintext for b with the current key.
func (r *Keyring) Seal(b Binding, plaintext string) (string, error) {
	if r == nil || r.Current == nil {
		return "", errors.New("no secret key: set SPSYNC_SECRET_KEY")
	}
	k := r.Current
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal %s: %w", b, err)
	}
	sealed := k.aead.Seal(nonce, nonce, []byte(plaintext), b.ad())
	return prefix + "." + k.id + "." + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// KeyID returns the id of the key that sealed value.
func KeyID(value string) (string, error) {
	parts := strings.SplitN(value, ".", 3)
	if len(parts) != 3 || parts[0] != prefix {
		return "", errors.New("not a sealed value")
	}
	return parts[1], nil
}

// Open decrypts a value Seal made for b, with whichever key of the ring
// sealed it.
func (r *Keyring) Open(b Binding, value string) (string, error) {
	parts := strings.SplitN(value, ".", 3)
	if len(parts) != 3 || parts[0] != prefix {
		return "", fmt.Errorf("open %s: not a sealed value", b)
	}
	var k *Key
	if r != nil {
		for _, c := range []*Key{r.Current, r.Previous} {
			if c != nil && c.id == parts[1] {
				k = c
				break
			}
		}
	}
	if k == nil {
		return "", fmt.Errorf("open %s: key %s: %w", b, parts[1], ErrWrongKey)
	}
	raw, err := base64.RawStdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) < k.aead.NonceSize() {
		return "", fmt.Errorf("open %s: %w", b, ErrTampered)
	}
	nonce, ct := raw[:k.aead.NonceSize()], raw[k.aead.NonceSize():]
	plain, err := k.aead.Open(nil, nonce, ct, b.ad())
	if err != nil {
		return "", fmt.Errorf("open %s: %w", b, ErrTampered)
	}
	return string(plain), nil
}

// NeedsRekey reports whether value was sealed with a key other than the
// current one.
func (r *Keyring) NeedsRekey(value string) bool {
	id, err := KeyID(value)
	return err == nil && (r.Current == nil || id != r.Current.id)
}
