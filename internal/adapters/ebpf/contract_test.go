package ebpf

import (
	"log/slog"
	"os"
	"os/exec"
	"testing"

	"github.com/seed-428f5ad7/tracee/internal/adapters/sourcetest"
)

// TestSource_contract runs the event-source contract's live part against the eBPF source.
func TestSource_contract(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := os.Stat(btfPath); err != nil {
		t.Skip("needs BTF (" + btfPath + ")")
	}
	src, err := New(Config{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.RunLive(t, src, func() { _ = exec.Command("/bin/true").Run() })
}
