package replay

import (
	"math/bits"
	"strings"
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

// TestQuotedKey_at_is_a_prefix_test: for keys of every length around the word sizes, the word
// comparison says what strings.HasPrefix says, on the key itself, on lines short and long, and
// with any one byte of the key changed.
func TestQuotedKey_at_is_a_prefix_test(t *testing.T) {
	tail := strings.Repeat(`1,"x":2`, 5)
	for _, key := range []string{"id", "name", "podUID", "threadId", "eventName", "processEntityId",
		"hostParentProcessId", "hostParentProcessIdX", "aVeryLongKeyNameOverWords"} {
		q := &newKeySet(key).quoted[0]
		lines := []string{q.s, q.s + tail, q.s[:len(q.s)-1], `"` + key + `x":` + tail, tail}
		for i := range len(q.s) {
			b := []byte(q.s + tail)
			b[i] ^= 0x20
			lines = append(lines, string(b), string(b[:len(q.s)]))
		}
		for _, line := range lines {
			if got, want := q.at([]byte(line)), strings.HasPrefix(line, q.s); got != want {
				t.Errorf("key %s on %q: at says %v", q.s, line, got)
			}
		}
	}
}
