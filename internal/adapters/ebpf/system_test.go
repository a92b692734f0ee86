package ebpf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckHost_privileges(t *testing.T) {
	tests := []struct {
		name   string
		capEff string
		want   error
	}{
		{"no capabilities", "0000000000000000", ErrNotPrivileged},
		{"CAP_BPF without CAP_PERFMON", "0000008000000000", ErrNotPrivileged},
		{"CAP_BPF and CAP_PERFMON", "000000c000000000", nil},
		{"CAP_SYS_ADMIN", "0000000000200000", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			procRoot := t.TempDir()
			require.NoError(t, os.MkdirAll(filepath.Join(procRoot, "self"), 0o755))
			status := "Name:\ttracee\nCapEff:\t" + tt.capEff + "\n"
			require.NoError(t, os.WriteFile(filepath.Join(procRoot, "self", "status"), []byte(status), 0o644))
			err := checkHost(procRoot)
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
				return
			}
			if err != nil {
				assert.ErrorIs(t, err, ErrNoBTF) // privileges fine; this host may lack BTF
			}
		})
	}
}

func TestConfig_withDefaults(t *testing.T) {
	c, err := Config{}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, DefaultRingBufferBytes, c.RingBufferBytes)
	assert.Equal(t, DefaultRingBufferBytes/16, c.WakeupBytes)
	c, err = Config{RingBufferBytes: 5 << 20}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, 8<<20, c.RingBufferBytes, "rounded up to a power of two")
	_, err = Config{RingBufferBytes: 100}.withDefaults()
	assert.Error(t, err)
}
