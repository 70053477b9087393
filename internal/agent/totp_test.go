package agent

import (
	"testing"
	"time"
)

// The SHA-1 test vectors of RFC 6238, appendix B (8 digits; 6 digits are
// their last six).
func TestTOTPMatchesRFC6238(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		now := time.Unix(tc.unix, 0)
		if got := hotp(key, uint64(totpStep(now)), 8); got != tc.want {
			t.Errorf("TOTP at %d = %s, want %s", tc.unix, got, tc.want)
		}
		six := tc.want[2:]
		if got := hotp(key, uint64(totpStep(now)), 6); got != six {
			t.Errorf("6-digit TOTP at %d = %s, want %s", tc.unix, got, six)
		}
		if step, ok := totpMatch(key, six, now); !ok || step != totpStep(now) {
			t.Errorf("totpMatch(%s) at %d = %d, %v; want step %d", six, tc.unix, step, ok, totpStep(now))
		}
	}
}

func TestTOTPAcceptsOneStepEitherSide(t *testing.T) {
	key := []byte("12345678901234567890")
	now := time.Unix(1234567890, 0)
	for _, tc := range []struct {
		name string
		skew time.Duration
		ok   bool
	}{
		{"the step before", -30 * time.Second, true},
		{"the step after", 30 * time.Second, true},
		{"two steps before", -60 * time.Second, false},
		{"two steps after", 60 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := hotp(key, uint64(totpStep(now.Add(tc.skew))), 6)
			if _, ok := totpMatch(key, code, now); ok != tc.ok {
				t.Errorf("code of %s accepted = %v, want %v", tc.name, ok, tc.ok)
			}
		})
	}
	for _, code := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := totpMatch(key, code, now); ok {
			t.Errorf("totpMatch(%q) = true, want false", code)
		}
	}
}
