// Package id makes the identifiers and secrets Parley hands out.
package id

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"

	"github.com/google/uuid"
)

// New returns a new time-ordered UUIDv7 string.
func New() string {
	u, err := uuid.NewV7()
	if err != nil {
		panic(err) // only on a broken random source
	}
	return u.String()
}

// Secret returns a new random opaque token of 256 bits, URL-safe.
func Secret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Key returns a short random public key (such as a widget key).
func Key() string {
	b := make([]byte, 15)
	rand.Read(b)
	return lowerBase32.EncodeToString(b)
}

// Hash returns the SHA-256 hex digest under which a secret token is stored.
func Hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}
