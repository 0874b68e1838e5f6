package sim

import "testing"

// TestDecimalAmount: BigDecimal amounts without trailing zeros, as Amazon
// writes them.
func TestDecimalAmount(t *testing.T) {
	for cents, want := range map[int64]string{0: "0", 5: "0.05", 10: "0.1", 100: "1", 1234: "12.34", 1230: "12.3", -5: "-0.05", -100: "-1", -1230: "-12.3", 198000: "1980"} {
		if got := decimalAmount(cents); string(got) != want {
			t.Errorf("decimalAmount(%d) = %s, want %s", cents, got, want)
		}
	}
}
