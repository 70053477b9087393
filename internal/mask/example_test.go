package mask_test

import (
	"fmt"

	"github.com/parley-chat/parley/internal/mask"
)

func ExampleCards() {
	fmt.Println(mask.Cards("my card is 4111 1111 1111 1111, thanks"))
	fmt.Println(mask.Cards("Amex: 3782-822463-10005"))
	fmt.Println(mask.Cards("call +49 1512 3456 7893 or pay to DK50 0040 0440 1162 43"))
	// Output:
	// my card is **** **** **** 1111, thanks
	// Amex: ****-******-*0005
	// call +49 1512 3456 7893 or pay to DK50 0040 0440 1162 43
}

func ExampleLuhn() {
	fmt.Println(mask.Luhn([]byte("4111111111111111")))
	fmt.Println(mask.Luhn([]byte("4111111111111112")))
	// Output:
	// true
	// false
}
