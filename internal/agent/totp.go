package agent

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"time"
)

// TOTP (RFC 6238) as authenticator apps do it: HMAC-SHA-1, 30-second
// steps, 6 digits.
const (
	totpPeriod = 30
	totpDigits = 6
	// totpSkew is how many steps before and after now are accepted, for
	// clocks that are a little off and codes typed near a step's end.
	totpSkew = 1
)

// secretEncoding is base32 without padding, as otpauth:// URLs carry it.
var secretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// hotp is the RFC 4226 one-time password of key at counter, digits long.
func hotp(key []byte, counter uint64, digits int) string {
	mac := hmac.New(sha1.New, key)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// totpStep is the time step of t.
func totpStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// totpMatch returns the step within the skew of now whose code is code,
// or false. Every step is computed so the time taken does not tell which
// matched.
func totpMatch(key []byte, code string, now time.Time) (int64, bool) {
	if len(code) != totpDigits {
		return 0, false
	}
	var found int64
	ok := false
	for d := -totpSkew; d <= totpSkew; d++ {
		step := totpStep(now) + int64(d)
		if hmac.Equal([]byte(hotp(key, uint64(step), totpDigits)), []byte(code)) && !ok {
			found, ok = step, true
		}
	}
	return found, ok
}
