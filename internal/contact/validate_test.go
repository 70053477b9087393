package contact

import (
	"errors"
	"testing"

	"github.com/parley-chat/parley/internal/apperr"
)

func TestValidPhone(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+36 30 123 4567", "+36301234567"},
		{"+36-30-123-4567", "+36301234567"},
		{"+44 20 7946 0958", "+442079460958"},
		{"+1 (415) 555-2671", "+14155552671"},
		{"+49 30 901820", "+4930901820"},
		{"  +420 777 123 456  ", "+420777123456"},
		{"+36301234567", "+36301234567"},
		// Without + the country is unknown: kept as typed.
		{"06 30 123 4567", "06 30 123 4567"},
		{"(555) 123-4567", "(555) 123-4567"},
		// A country code whose plan says this length is impossible: the
		// API's pattern still allows it, so it is kept as typed.
		{"+123456789012345", "+123456789012345"},
		{"", ""},
		{"   ", ""},
	} {
		got, err := ValidPhone(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ValidPhone(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"12345", "1234567890123456", "+1 555 CALL NOW", "777a123456", "777+123456", "+", "call me", "+36 30 123 4567 ext. 2", "+36\u00a030 123 4567"} {
		if got, err := ValidPhone(bad); !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("ValidPhone(%q) = %q, %v; want invalid", bad, got, err)
		}
	}
}

func TestValidEmail(t *testing.T) {
	for in, want := range map[string]string{
		"ann@example.com":          "ann@example.com",
		"  ann@example.com ":       "ann@example.com",
		"ann.smith+tag@mail.co.uk": "ann.smith+tag@mail.co.uk",
		"":                         "",
	} {
		if got, err := ValidEmail(in); err != nil || got != want {
			t.Errorf("ValidEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"ann", "ann@", "@example.com", "ann@@example.com", "Ann <ann@example.com>", "ann@localhost", "ann @example.com", "ann@example.com, bob@example.com"} {
		if got, err := ValidEmail(bad); !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("ValidEmail(%q) = %q, %v; want invalid", bad, got, err)
		}
	}
}
