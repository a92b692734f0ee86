package prefilter_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seed-428f5ad7/tracee/types/prefilter"
)

const elfMagic = "\x7fELF"

func TestMagicInterest_Admits(t *testing.T) {
	tests := []struct {
		name     string
		prefixes []string
		bytes    string
		want     bool
	}{
		{"ELF header", []string{elfMagic}, elfMagic + "\x02\x01\x01", true},
		{"exactly the prefix", []string{elfMagic}, elfMagic, true},
		{"shorter than the prefix (dd bs=1)", []string{elfMagic}, "\x7f", false},
		{"three bytes of the prefix", []string{elfMagic}, "\x7fEL", false},
		{"text", []string{elfMagic}, "hello world", false},
		{"second prefix", []string{elfMagic, "#!"}, "#!/bin/sh", true},
		{"a prefix ending in a zero byte is not matched by a shorter write", []string{"ab\x00"}, "ab", false},
		{"a prefix ending in a zero byte", []string{"ab\x00"}, "ab\x00c", true},
		{"a long prefix is compared by its first 8 bytes", []string{"0123456789"}, "01234567xx", true},
		{"a long prefix needs 8 bytes", []string{"0123456789"}, "0123456", false},
		{"unreadable bytes", []string{elfMagic}, "", false},
		{"no prefix keeps nothing", nil, elfMagic, false},
		{"the empty prefix keeps every write", []string{""}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b []byte
			if tt.bytes != "" {
				b = []byte(tt.bytes)
			}
			got := prefilter.MagicInterest{Prefixes: tt.prefixes}.Admits(prefilter.MagicFacts{Bytes: b})
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMagicInterest_Union_merges_and_dedupes(t *testing.T) {
	a := prefilter.MagicInterest{Prefixes: []string{elfMagic}}
	b := prefilter.MagicInterest{Prefixes: []string{"#!", elfMagic}}
	assert.Equal(t, []string{"#!", elfMagic}, a.Union(b).Prefixes)
	assert.True(t, prefilter.MagicInterest{}.Empty())
	assert.False(t, a.Empty())
}
