package account

import "testing"

// The hash a shop's server computes: lowercase hex HMAC-SHA256(secret,
// user_id). The expected values were computed independently with
// `printf %s u-1 | openssl dgst -sha256 -hmac s3cret`.
func TestUserHash(t *testing.T) {
	for _, tc := range []struct{ secret, user, want string }{
		{"s3cret", "u-1", "f0280a207b563af4f712e82fae808920d93dc58b970d9f7d64bce0fd3cb93a24"},
		{"s3cret", "u-2", "8715d54d19dcc483f57d5d12c092cd3930926b15cd3297d682c57f8df7c82a64"},
	} {
		if got := UserHash(tc.secret, tc.user); got != tc.want {
			t.Errorf("UserHash(%q, %q) = %s, want %s", tc.secret, tc.user, got, tc.want)
		}
	}
}
