package agent

import "time"

// HashPeak returns the most password hashes that ran at once so far, and
// how many may.
func (s *Service) HashPeak() (peak, limit int) {
	s.hashes.mu.Lock()
	defer s.hashes.mu.Unlock()
	return s.hashes.peak, cap(s.hashes.slots)
}

// TOTP returns the code of a base32 secret at t, as an authenticator app
// shows it.
func TOTP(secret string, t time.Time) string {
	key, err := secretEncoding.DecodeString(secret)
	if err != nil {
		panic(err)
	}
	return hotp(key, uint64(totpStep(t)), totpDigits)
}
