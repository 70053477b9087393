package mask

import "unicode"

// This file holds the exclusions: numbers that satisfy the masking rule but
// are something other than a card. The package documentation explains why
// each one exists.

// isISBN13 reports whether digits, in ASCII, form a valid ISBN-13.
func isISBN13(digits []byte) bool {
	if len(digits) != 13 || digits[0] != '9' || digits[1] != '7' ||
		(digits[2] != '8' && digits[2] != '9') {
		return false
	}
	sum := 0
	for i, c := range digits {
		weight := 1
		if i%2 == 1 {
			weight = 3
		}
		sum += weight * int(c-'0')
	}
	return sum%10 == 0
}

// hasDate reports whether three neighbouring groups of the run, joined by
// dashes, read as a calendar date.
func (r *run) hasDate() bool {
	// groups[k] is the index of the first digit of group k; one more entry
	// marks the end of the last group.
	var groups [maxDigits + 1]int
	n := 0
	for i := 0; i < r.n; i++ {
		if i == 0 || r.seps[i] != 0 {
			groups[n] = i
			n++
		}
	}
	groups[n] = r.n
	for k := 0; k+2 < n; k++ {
		a, b, c, end := groups[k], groups[k+1], groups[k+2], groups[k+3]
		if r.seps[b] == '-' && r.seps[c] == '-' &&
			isDate(r.digits[a:b], r.digits[b:c], r.digits[c:end]) {
			return true
		}
	}
	return false
}

// isDate reports whether x-y-z is a date as YYYY-MM-DD, DD-MM-YYYY or
// MM-DD-YYYY.
func isDate(x, y, z []byte) bool {
	switch {
	case len(x) == 4 && len(y) == 2 && len(z) == 2:
		return isYear(x) && isMonth(y) && isDay(z)
	case len(x) == 2 && len(y) == 2 && len(z) == 4:
		return isYear(z) && isDay(x) && isDay(y) && (isMonth(x) || isMonth(y))
	}
	return false
}

func isYear(d []byte) bool  { return (d[0] == '1' && d[1] == '9') || (d[0] == '2' && d[1] == '0') }
func isMonth(d []byte) bool { return inRange(d, 1, 12) }
func isDay(d []byte) bool   { return inRange(d, 1, 31) }

// inRange reports whether the two ASCII digits d lie in [lo, hi].
func inRange(d []byte, lo, hi int) bool {
	v := int(d[0]-'0')*10 + int(d[1]-'0')
	return lo <= v && v <= hi
}

// followsPlus reports whether the rune before s[i] is a plus sign, which
// starts phone numbers in international format.
func followsPlus(s string, i int) bool {
	r, _ := runeBefore(s, i)
	return r == '+' || r == '＋'
}

// joinedToDigits reports whether the whitespace-delimited word that holds
// s[start:end] has digits outside it.
func joinedToDigits(s string, start, end int) bool {
	for i := start; i > 0; {
		r, size := runeBefore(s, i)
		if unicode.IsSpace(r) {
			break
		}
		if isDigit(r) {
			return true
		}
		i -= size
	}
	for i := end; i < len(s); {
		r, size := runeAt(s, i)
		if unicode.IsSpace(r) {
			break
		}
		if isDigit(r) {
			return true
		}
		i += size
	}
	return false
}

const uuidLen = len("123e4567-e89b-12d3-a456-426614174000")

// inUUID reports whether the run s[start:end] overlaps a UUID. A run can
// contain a whole UUID only if the UUID is all digits, which makes the run
// too long to mask, so it is enough to look around its ends.
func inUUID(s string, start, end int) bool {
	return isUUIDAround(s, start) || isUUIDAround(s, end-1)
}

// isUUIDAround reports whether the longest stretch of hexadecimal digits
// and dashes that contains s[i] is a UUID.
func isUUIDAround(s string, i int) bool {
	if !isUUIDByte(s[i]) {
		return false
	}
	lo, hi := i, i+1
	for lo > 0 && isUUIDByte(s[lo-1]) && hi-lo <= uuidLen {
		lo--
	}
	for hi < len(s) && isUUIDByte(s[hi]) && hi-lo <= uuidLen {
		hi++
	}
	// The loops stop one byte past uuidLen, so a longer stretch fails here.
	if hi-lo != uuidLen {
		return false
	}
	for k := range uuidLen {
		switch k {
		case 8, 13, 18, 23:
			if s[lo+k] != '-' {
				return false
			}
		default:
			if s[lo+k] == '-' {
				return false
			}
		}
	}
	return true
}

func isUUIDByte(c byte) bool {
	return isASCIIDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'f') || c == '-'
}

const (
	ibanMinLen = 15 // Norway
	ibanMaxLen = 34 // the most ISO 13616 allows

	// ibanMaxBytes bounds how far before a run its IBAN can start: the
	// longest IBAN with a three-byte space between each group of four.
	ibanMaxBytes = ibanMaxLen + (ibanMaxLen/4)*3
)

// inIBAN reports whether the run that starts at s[start] overlaps an IBAN.
// Such an IBAN begins with letters, so it must begin before the run.
func inIBAN(s string, start int) bool {
	for p := start - 2; p >= 0 && start-p <= ibanMaxBytes; p-- {
		if isIBANAt(s, p, start) {
			return true
		}
	}
	return false
}

// isIBANAt reports whether a valid IBAN that starts at s[p] reaches past
// s[pos].
func isIBANAt(s string, p, pos int) bool {
	if p+4 > len(s) || !isASCIILetter(s[p]) || !isASCIILetter(s[p+1]) ||
		!isASCIIDigit(s[p+2]) || !isASCIIDigit(s[p+3]) {
		return false
	}
	if r, _ := runeBefore(s, p); isWordRune(r) {
		return false
	}
	// The check moves the country code and check digits behind the rest,
	// turns letters into two-digit numbers (A = 10) and requires the
	// resulting number to leave 1 when divided by 97. rest is the remainder
	// of the part read so far; head is the number the first four
	// characters contribute, always six digits long.
	head := ibanValue(s[p])*10000 + ibanValue(s[p+1])*100 + ibanValue(s[p+2])*10 + ibanValue(s[p+3])
	rest := 0
	n := 4
	for i := p + 4; i < len(s) && n < ibanMaxLen; {
		c := s[i]
		if isASCIIDigit(c) || isASCIILetter(c) {
			v := ibanValue(c)
			if v < 10 {
				rest = (rest*10 + v) % 97
			} else {
				rest = (rest*100 + v) % 97
			}
			n++
			i++
			if n >= ibanMinLen && i > pos && !continuesWord(s, i) && (rest*1000000+head)%97 == 1 {
				return true
			}
			continue
		}
		// Printed IBANs come in groups of four separated by single spaces.
		r, size := runeAt(s, i)
		if n%4 != 0 || separator(r) != ' ' || i+size >= len(s) {
			return false
		}
		if next := s[i+size]; !isASCIIDigit(next) && !isASCIILetter(next) {
			return false
		}
		i += size
	}
	return false
}

// ibanValue returns the value of an IBAN character: a digit's own value,
// or 10 to 35 for the letters A to Z in either case.
func ibanValue(c byte) int {
	if isASCIIDigit(c) {
		return int(c - '0')
	}
	return int(c|0x20-'a') + 10
}

// continuesWord reports whether the rune at s[i] continues the word before it.
func continuesWord(s string, i int) bool {
	r, _ := runeAt(s, i)
	return isWordRune(r)
}
