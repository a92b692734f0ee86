package replay

import "testing"

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
