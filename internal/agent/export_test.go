package agent

// HashPeak returns the most password hashes that ran at once so far, and
// how many may.
func (s *Service) HashPeak() (peak, limit int) {
	s.hashes.mu.Lock()
	defer s.hashes.mu.Unlock()
	return s.hashes.peak, cap(s.hashes.slots)
}
