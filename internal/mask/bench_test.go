package mask_test

import (
	"testing"

	"github.com/parley-chat/parley/internal/mask"
)

func BenchmarkCards(b *testing.B) {
	messages := []struct{ name, text string }{
		{"no digits", "hey, are we still on for lunch tomorrow? let me know!"},
		{"short phone number", "sure, call me on +36 30 123 4567 after five"},
		{"long phone number", "sure, call me on +49 1512 3456 7893 after five"},
		{"card number", "my card is 4111 1111 1111 1111, expires 12/25"},
		{"fullwidth card number", "カード番号は４１１１ １１１１ １１１１ １１１１です"},
	}
	for _, m := range messages {
		b.Run(m.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(m.text)))
			for b.Loop() {
				mask.Cards(m.text)
			}
		})
	}
}
