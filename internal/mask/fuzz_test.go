package mask_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/mask"
)

// fuzzSeeds are inputs near the edges of the rule, added to the examples
// from the other tests.
var fuzzSeeds = []string{
	"",
	"4111111111111111",
	"my card is 4111111111111111, thanks",
	"cards 4111 1111 1111 1111 and 5555-5555-5555-4444",
	"4111 1111 1111 1111  1234",
	"4111 1111 1111 1111 -1234",
	"(4111 1111 1111 1111)",
	"card:4111111111111111.",
	"4111111111111111 12/25 123",
	"4222222222222",
	"4917 6100 0000 0000 003",
	"4111 1111 1111 1111 1234",
	"4111111111111111\xff",
	"\xff4111111111111111\xfe",
	"4111111111\xff111111",
	"\xe3\x80 4111 1111 1111 1111",
	"４１１１ １１１１ １１１１ １１１１",
	"٤١١١١١١١١١١١١١١١",
	"4111\u00a01111\u202f1111\u20131111",
	"IBAN DK50 0040 0440 1162 43, card 4111 1111 1111 1111",
	"DK50 0040 0440 1162 43 4111 1111 1111 1111",
	"XX4111111111111111",
	"ab12 3456 7890 1234 5678 9",
	"+4111111111111111",
	"0411111111111111",
	"9780306400001",
	"2024-01-15 2024-01-23",
	"abcdefab-cdef-abcd-1234-123456789011",
	"1234-123456789011-abcd",
	"************1111",
	"4-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1",
	"4111111111111111/4111111111111111",
	"4111111111111111 4111111111111111",
}

// FuzzCards checks the properties every result of Cards must have.
func FuzzCards(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	for _, c := range testCards {
		f.Add(c.spaced)
		f.Add(strings.ReplaceAll(c.spaced, " ", "-"))
	}
	for _, l := range lookAlikes {
		f.Add(l.in)
	}
	f.Fuzz(checkCards)
}

// TestCardsPropertiesOnGeneratedText checks the fuzz properties on text
// assembled from pieces that matter to the rule, which random mutation
// rarely puts together: Luhn-valid numbers, separators, signs, letters
// that could start an IBAN and digits from other scripts.
func TestCardsPropertiesOnGeneratedText(t *testing.T) {
	pieces := []string{
		"4111111111111111", "4111 1111 1111 1111", "3782 822463 10005", "4222222222222",
		"6205500000000000004", "5555-5555-5555-4444", "٤١١١١١١١١١١١١١١١", "４１１１",
		"1", "12", "123", "1234", "0", "00", "978", "2024", "01", "15",
		" ", " ", "  ", "-", "–", "—", "\u00a0", "\u202f", "\n", "\t",
		"+", "＋", "/", ".", ",", ":", "(", ")", "*",
		"NO39", "DK50", "GB08 WEST", "ab", "X", "abcdef", "visa",
		"\xff", "\xe3\x80", "\uFFFD",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	changed := 0
	for range 50000 {
		var b strings.Builder
		for range 1 + rng.IntN(10) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		in := b.String()
		checkCards(t, in)
		if mask.Cards(in) != in {
			changed++
		}
	}
	// Guard against a generator that never exercises masking at all.
	if changed < 1000 {
		t.Errorf("only %d of the generated texts had a card masked", changed)
	}
}

// checkCards checks the properties every result of Cards must have.
func checkCards(t *testing.T, in string) {
	t.Helper()
	out := mask.Cards(in)

	if utf8.ValidString(out) != utf8.ValidString(in) {
		t.Fatalf("Cards(%q) = %q: valid UTF-8 %v, input %v", in, out, utf8.ValidString(out), utf8.ValidString(in))
	}
	before, after := splitRunes(in), splitRunes(out)
	if len(before) != len(after) {
		t.Fatalf("Cards(%q) = %q has %d runes, want %d", in, out, len(after), len(before))
	}
	changed := make([]bool, len(before))
	for i := range before {
		if before[i] == after[i] {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(before[i]); !isDigitRune(before[i]) || after[i] != "*" {
			t.Fatalf("Cards(%q) = %q turns %q (%U) into %q; only digits may change, into '*'", in, out, before[i], r, after[i])
		}
		changed[i] = true
	}

	for _, run := range runsIn(before) {
		masked := 0
		for _, i := range run {
			if changed[i] {
				masked++
			}
		}
		if masked == 0 {
			continue
		}
		if len(run) < 13 || len(run) > 19 {
			t.Fatalf("Cards(%q) = %q masks a run of %d digits", in, out, len(run))
		}
		digits := values(before, run)
		if !luhnValues(digits) {
			t.Fatalf("Cards(%q) = %q masks a run failing the Luhn check", in, out)
		}
		if digits[0] == 0 {
			t.Fatalf("Cards(%q) = %q masks a run starting with 0", in, out)
		}
		if first := run[0]; first > 0 && (before[first-1] == "+" || before[first-1] == "＋") {
			t.Fatalf("Cards(%q) = %q masks a run after a plus sign", in, out)
		}
		if wordHasOtherDigits(before, run) {
			t.Fatalf("Cards(%q) = %q masks a run whose word has other digits", in, out)
		}
		for k, i := range run {
			if hide := k < len(run)-4; changed[i] != hide {
				t.Fatalf("Cards(%q) = %q masks digits other than all but the last four of a run", in, out)
			}
		}
	}

	if again := mask.Cards(out); again != out {
		t.Fatalf("Cards(%q) = %q, but Cards(%q) = %q", in, out, out, again)
	}
}

// splitRunes splits s into its runes, keeping each byte of invalid UTF-8
// as a piece of its own, as Cards and utf8.RuneCountInString count them.
func splitRunes(s string) []string {
	var pieces []string
	for len(s) > 0 {
		_, size := utf8.DecodeRuneInString(s)
		pieces = append(pieces, s[:size])
		s = s[size:]
	}
	return pieces
}

// runsIn returns the runs in pieces, as written in the package
// documentation: each run is the list of the indexes of its digits.
func runsIn(pieces []string) [][]int {
	var runs [][]int
	var cur []int
	for i := 0; i < len(pieces); i++ {
		switch {
		case isDigitRune(pieces[i]):
			cur = append(cur, i)
			continue
		case len(cur) > 0 && isSeparator(pieces[i]) && i+1 < len(pieces) && isDigitRune(pieces[i+1]):
			continue
		}
		if len(cur) > 0 {
			runs = append(runs, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		runs = append(runs, cur)
	}
	return runs
}

// wordHasOtherDigits reports whether the whitespace-delimited word around
// run holds digits outside it.
func wordHasOtherDigits(pieces []string, run []int) bool {
	for i := run[0] - 1; i >= 0 && !isSpace(pieces[i]); i-- {
		if isDigitRune(pieces[i]) {
			return true
		}
	}
	for i := run[len(run)-1] + 1; i < len(pieces) && !isSpace(pieces[i]); i++ {
		if isDigitRune(pieces[i]) {
			return true
		}
	}
	return false
}

func isSpace(piece string) bool {
	r, size := utf8.DecodeRuneInString(piece)
	return size == len(piece) && unicode.IsSpace(r)
}

// longestRun returns the values of the digits of the longest run in s.
func longestRun(s string) []int {
	pieces := splitRunes(s)
	var longest []int
	for _, run := range runsIn(pieces) {
		if len(run) > len(longest) {
			longest = run
		}
	}
	return values(pieces, longest)
}

func values(pieces []string, run []int) []int {
	var v []int
	for _, i := range run {
		r, _ := utf8.DecodeRuneInString(pieces[i])
		// Each set of decimal digits is ten consecutive code points from
		// zero; walking back to where the digits start finds a zero.
		zero := r
		for unicode.IsDigit(zero - 1) {
			zero--
		}
		v = append(v, int(r-zero)%10)
	}
	return v
}

// luhnValues is the Luhn check written out separately from the package's:
// every second digit from the right counts as the digit sum of its double.
func luhnValues(digits []int) bool {
	doubled := [10]int{0, 2, 4, 6, 8, 1, 3, 5, 7, 9}
	sum := 0
	for i := range digits {
		d := digits[len(digits)-1-i]
		if i%2 == 1 {
			d = doubled[d]
		}
		sum += d
	}
	return len(digits) > 0 && sum%10 == 0
}

func isDigitRune(piece string) bool {
	r, size := utf8.DecodeRuneInString(piece)
	return size == len(piece) && r != utf8.RuneError && unicode.IsDigit(r)
}

func isSeparator(piece string) bool {
	switch piece {
	case " ", "-", "\u00a0", "\u202f", "\u2010", "\u2011", "\u2013":
		return true
	}
	return false
}
