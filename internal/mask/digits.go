package mask

import (
	"unicode"
	"unicode/utf8"
)

// Luhn reports whether digits, a string of ASCII decimal digits, passes the
// Luhn (mod 10) check that ends every payment card number; it reports false
// if digits is empty or holds any other byte.
func Luhn(digits []byte) bool {
	if len(digits) == 0 {
		return false
	}
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i]) - '0'
		if d < 0 || d > 9 {
			return false
		}
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// isDigit reports whether r is a decimal digit in any script.
func isDigit(r rune) bool {
	if r < utf8.RuneSelf {
		return '0' <= r && r <= '9'
	}
	return unicode.IsDigit(r)
}

// digitValue returns the numeric value of r, which must be a decimal digit.
func digitValue(r rune) int {
	if r < utf8.RuneSelf {
		return int(r - '0')
	}
	// Unicode encodes each set of decimal digits as ten consecutive code
	// points from zero to nine, so a digit's value is its distance from
	// the zero of its set. The unicode package merges neighbouring sets
	// into one range, which therefore starts with a zero and holds whole
	// sets of ten; TestDigitValue guards that assumption.
	for _, rg := range unicode.Nd.R16 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10
		}
	}
	return 0
}

// separator returns ' ' for a space and '-' for a dash that may stand
// between two digits of a card number, and 0 for any other rune. People
// paste card numbers from formatted documents, which use no-break spaces
// and typographic hyphens where a keyboard would give ' ' and '-'.
func separator(r rune) byte {
	switch r {
	case ' ', '\u00a0', '\u202f':
		return ' '
	case '-', '\u2010', '\u2011', '\u2013':
		return '-'
	}
	return 0
}

// isWordRune reports whether r can be part of a word, so that a number
// touching it is not a whole word of its own.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIILetter(byte(r)) || isASCIIDigit(byte(r))
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isASCIIDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isASCIILetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// runeAt decodes the rune at s[i], returning (utf8.RuneError, 0) at the
// end of s and (utf8.RuneError, 1) for a byte that is not valid UTF-8.
func runeAt(s string, i int) (rune, int) {
	if i < len(s) && s[i] < utf8.RuneSelf {
		return rune(s[i]), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// runeBefore decodes the rune that ends just before s[i], returning
// (utf8.RuneError, 0) at the start of s.
func runeBefore(s string, i int) (rune, int) {
	if i > 0 && s[i-1] < utf8.RuneSelf {
		return rune(s[i-1]), 1
	}
	return utf8.DecodeLastRuneInString(s[:i])
}
