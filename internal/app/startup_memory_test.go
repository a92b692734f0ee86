package app

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOwnFiles(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	exe, err = filepath.EvalSymlinks(exe)
	require.NoError(t, err)
	sigs := t.TempDir()
	link := filepath.Join(t.TempDir(), "sigs")
	require.NoError(t, os.Symlink(sigs, link))
	own := ownFiles([]string{link})
	tests := []struct {
		name string
		path string
		want bool
	}{
		{"the executable", exe, true},
		{"a plugin under a signature directory named through a symlink", filepath.Join(sigs, "builtin.so"), true},
		{"a plugin in a subdirectory", filepath.Join(sigs, "team", "x.so"), true},
		{"a directory sharing the prefix", sigs + "-old/x.so", false},
		{"a shared library", "/usr/lib/x86_64-linux-gnu/libc.so.6", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, own(tt.path))
		})
	}
}
