package replay

import (
	"math/bits"
	"testing"
)

// TestPlainWord checks the 8-byte test against the byte table for every byte in every position.
func TestPlainWord(t *testing.T) {
	base := []byte("abcdefgh")
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			w := append([]byte(nil), base...)
			w[pos] = byte(c)
			var x uint64
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(w[i])
			}
			if got, want := plainWord(x), plainByte[c]; got != want {
				t.Fatalf("byte %#x at %d: plainWord %v, table %v", c, pos, got, want)
			}
		}
	}
}

// TestNonPlain_lowest_flag_is_the_first_byte_that_is_not_plain: whatever follows it (here every
// pair of byte values in the next two positions, the rest a mix), the lowest flag of nonPlain
// names the first byte the table calls not plain, which rawString jumps to.
func TestNonPlain_lowest_flag_is_the_first_byte_that_is_not_plain(t *testing.T) {
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			if plainByte[c] {
				continue
			}
			for next := 0; next < 256; next += 5 {
				w := []byte("abcdefgh")
				w[pos] = byte(c)
				for i := pos + 1; i < 8; i++ {
					w[i] = byte(next + i*37)
				}
				var x uint64
				for i := 7; i >= 0; i-- {
					x = x<<8 | uint64(w[i])
				}
				m := nonPlain(x)
				if m == 0 || bits.TrailingZeros64(m)>>3 != pos {
					t.Fatalf("%q: first non-plain byte at %d, nonPlain says %d", w, pos, bits.TrailingZeros64(m)>>3)
				}
			}
		}
	}
}
