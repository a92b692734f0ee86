package ebpf

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Capabilities the source needs (linux/capability.h).
const (
	capSysAdmin = 21
	capPerfmon  = 38
	capBPF      = 39
)

// ErrNotPrivileged, ErrNoBTF: the source cannot run on this host as this user.
var (
	ErrNotPrivileged = errors.New("ebpf: needs root, or CAP_BPF and CAP_PERFMON (run with sudo)")
	ErrNoBTF         = errors.New("ebpf: kernel BTF not found at /sys/kernel/btf/vmlinux (needs a kernel built with CONFIG_DEBUG_INFO_BTF=y)")
)

const btfPath = "/sys/kernel/btf/vmlinux"

// checkHost returns a one-line error when the source cannot run here.
func checkHost(procRoot string) error {
	caps, err := effectiveCaps(procRoot)
	if err != nil {
		return fmt.Errorf("ebpf: read capabilities: %w", err)
	}
	has := func(c uint) bool { return caps&(1<<c) != 0 }
	if !(has(capBPF) && has(capPerfmon)) && !has(capSysAdmin) {
		return ErrNotPrivileged
	}
	if _, err := os.Stat(btfPath); err != nil {
		return ErrNoBTF
	}
	return nil
}

func effectiveCaps(procRoot string) (uint64, error) {
	b, err := os.ReadFile(procRoot + "/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, errors.New("no CapEff line in status")
}

const tracefsPath = "/sys/kernel/tracing"

// ensureTracefs mounts tracefs when it is not mounted: syscall tracepoints are found through it
// (tp_btf hooks are not).
func ensureTracefs() error {
	if _, err := os.Stat(tracefsPath + "/events"); err == nil {
		return nil
	}
	if err := unix.Mount("nodev", tracefsPath, "tracefs", 0, ""); err != nil {
		return fmt.Errorf("ebpf: mount tracefs at %s: %w", tracefsPath, err)
	}
	return nil
}

// bootOffset is what to add to a CLOCK_BOOTTIME ns value to get Unix ns.
func bootOffset() int64 {
	var ts unix.Timespec
	before := nowNano()
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	after := nowNano()
	return (before+after)/2 - ts.Nano()
}
