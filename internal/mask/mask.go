// Package mask hides payment card numbers in free chat text, so that they
// are never stored or sent.
//
// # The rule
//
// Every free-text field goes through [Cards] before it is stored or sent.
// A card number is a maximal run of 13 to 19 digits in which neighbouring digits
// are separated by at most one space or dash, and whose digits pass the
// Luhn check. Cards keeps the last four digits and the separators of such a
// run and replaces every other digit with '*':
//
//	4111 1111 1111 1111   becomes   **** **** **** 1111
//	4111-1111-1111-1111   becomes   ****-****-****-1111
//	4111111111111111      becomes   ************1111
//
// Two separators in a row end a run, so a number written with two spaces
// between its groups is four short runs and stays as it is:
//
//	4111  1111  1111  1111
//
// A run of more than 19 digits is never
// masked, not even a 13–19 digit window inside it: it is some other, longer
// number, and masking a piece of it would garble it without protecting
// anything. Runs that fail the Luhn check are left alone too.
//
// A digit is any Unicode decimal digit (category Nd), such as the
// fullwidth digits a Japanese input method produces or Arabic-Indic digits,
// and counts with its numeric value. U+0020, U+00A0 (no-break space) and
// U+202F (narrow no-break space) count as spaces; U+002D, U+2010, U+2011
// and U+2013 count as dashes. A masked digit becomes a single '*' however
// many bytes it took, so the text keeps its number of code points, which
// is what length limits count. Invalid UTF-8 passes through unchanged.
//
// # Exclusions
//
// Chat text is full of long numbers that are not cards, and one in ten of
// them passes the Luhn check by chance. Phone numbers, IBANs, order and
// tracking numbers, ISBNs and dates must survive, so a run that satisfies
// the rule is still left alone when:
//
//   - Its word has other digits. If the text between the run and the
//     nearest whitespace on either side holds a digit, as in
//     "4111111111111111.5", "12/4111111111111111" or
//     "4111111111111111/12/25", the run is a piece of a longer number joined
//     by other characters, and such numbers are never masked in part.
//     Punctuation without digits is fine: "(4111 1111 1111 1111)" and
//     "card:4111111111111111." are masked.
//   - It overlaps an IBAN: two ASCII letters, two check digits and 11 to 30
//     more letters and digits, written compactly or in groups of four
//     separated by single spaces, standing as whole words and passing the
//     ISO 13616 mod-97 check. An IBAN's digits often form a 13–19 digit run
//     of their own, as in "NO93 8601 1117 947" or
//     "GB82 WEST 1234 5698 7654 32", and about one in ten passes the Luhn
//     check ("DK50 0040 0440 1162 43" does); the mod-97 check makes a card
//     number that merely sits next to two letters very unlikely to be
//     spared.
//   - It looks like a phone number: it directly follows a plus sign ('+' or
//     the fullwidth '＋'), as in the international format
//     "+36 30 123 4567 83", or its first digit is 0. No card number starts
//     with 0, while national numbers and the 00 international prefix do.
//   - It is an ISBN-13: 13 digits starting with 978 or 979 that pass the
//     ISBN check. Those prefixes are reserved for books ("Bookland"), and no
//     card number starts with them.
//   - It contains a calendar date: three neighbouring groups joined by
//     dashes that read as YYYY-MM-DD, DD-MM-YYYY or MM-DD-YYYY with a year
//     from 1900 to 2099. "2024-01-15 2024-01-23" is a Luhn-valid 16-digit
//     run, but nobody groups a card number like a date.
//   - It overlaps a UUID (8-4-4-4-12 hexadecimal digits joined by dashes).
//     A UUID whose other groups happen to be all letters has no further
//     digits in its word, yet its last groups can form a Luhn-valid run
//     such as "1234-123456789011".
package mask

import (
	"strings"
	"unicode/utf8"
)

const (
	minDigits  = 13 // the shortest card numbers, old Visa and some Maestro
	maxDigits  = 19 // the longest, such as UnionPay, Maestro and Verve
	keptDigits = 4  // what receipts and support staff need to tell cards apart
)

// Cards returns s with every payment-card number masked: all digits of the
// number except the last four become '*', and everything else, including
// separators, stays. It returns s itself, without allocating, when nothing
// is masked. The package documentation gives the rule and its exclusions.
func Cards(s string) string {
	if !mayHoldCard(s) {
		return s
	}
	var b strings.Builder
	masked := false
	copied := 0 // s[:copied] is already in b
	for i := 0; i < len(s); {
		r, size := runeAt(s, i)
		if !isDigit(r) {
			i += size
			continue
		}
		run := scanRun(s, i)
		if run.isCard(s) {
			if !masked {
				b.Grow(len(s))
				masked = true
			}
			b.WriteString(s[copied:run.start])
			writeMasked(&b, s[run.start:run.end], run.n)
			copied = run.end
		}
		i = run.end
	}
	if !masked {
		return s
	}
	b.WriteString(s[copied:])
	return b.String()
}

// mayHoldCard reports whether s has at least as many digits as the shortest
// card number. Almost every chat message fails this cheap test, so it
// checks ASCII first and looks at other scripts only when it must.
func mayHoldCard(s string) bool {
	n := 0
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			ascii = false
		case '0' <= c && c <= '9':
			n++
			if n >= minDigits {
				return true
			}
		}
	}
	if ascii {
		return false
	}
	for _, r := range s {
		if r >= utf8.RuneSelf && isDigit(r) {
			n++
			if n >= minDigits {
				return true
			}
		}
	}
	return false
}

// A run is a maximal stretch of digits in which neighbouring digits are
// separated by at most one space or dash.
type run struct {
	start, end int // byte offsets of the first digit and just past the last
	n          int // number of digits, including any beyond maxDigits

	// For the first maxDigits digits: the digit in ASCII, and the kind of
	// separator before it (0 for none, ' ' or '-').
	digits [maxDigits]byte
	seps   [maxDigits]byte
}

// scanRun returns the run that starts with the digit at s[i].
func scanRun(s string, i int) run {
	r := run{start: i}
	var sep byte
	for {
		d, size := runeAt(s, i)
		if r.n < maxDigits {
			r.digits[r.n] = '0' + byte(digitValue(d))
			r.seps[r.n] = sep
		}
		r.n++
		i += size
		r.end = i

		next, size := runeAt(s, i)
		if isDigit(next) {
			sep = 0
			continue
		}
		sep = separator(next)
		if sep == 0 {
			return r
		}
		if after, _ := runeAt(s, i+size); !isDigit(after) {
			return r
		}
		i += size
	}
}

// isCard reports whether the run, found in s, is to be masked.
func (r *run) isCard(s string) bool {
	if r.n < minDigits || r.n > maxDigits {
		return false
	}
	digits := r.digits[:r.n]
	// The cheap checks on the digits themselves come first; most runs
	// fail the Luhn check and never need a look at their surroundings.
	return Luhn(digits) &&
		digits[0] != '0' &&
		!isISBN13(digits) &&
		!r.hasDate() &&
		!followsPlus(s, r.start) &&
		!joinedToDigits(s, r.start, r.end) &&
		!inUUID(s, r.start, r.end) &&
		!inIBAN(s, r.start)
}

// writeMasked writes text, a run with the given number of digits, to b
// with all but its last keptDigits digits replaced by '*'.
func writeMasked(b *strings.Builder, text string, digits int) {
	hide := digits - keptDigits
	for i := 0; i < len(text); {
		r, size := runeAt(text, i)
		if hide > 0 && isDigit(r) {
			b.WriteByte('*')
			hide--
		} else {
			b.WriteString(text[i : i+size])
		}
		i += size
	}
}
