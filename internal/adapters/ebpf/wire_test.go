package ebpf

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// TestWire_matches_bpf checks the Go side of the format against the types bpf2go generated
// from bpf/lib/events.h.
func TestWire_matches_bpf(t *testing.T) {
	assert.Equal(t, headerSize, int(unsafe.Sizeof(traceeEventHeader{})))
	assert.Equal(t, 40, int(unsafe.Offsetof(traceeEventHeader{}.EventId)))
	assert.Equal(t, 88, int(unsafe.Offsetof(traceeEventHeader{}.ArgsLen)))
	assert.Equal(t, 96, int(unsafe.Offsetof(traceeEventHeader{}.Comm)))
	assert.Equal(t, 112, int(unsafe.Offsetof(traceeEventHeader{}.Nodename)))
	assert.Equal(t, 176, int(unsafe.Offsetof(traceeEventHeader{}.Matched)))
	ids := map[traceeEventId]int{
		traceeEventIdEVENT_SCHED_PROCESS_FORK:      domain.EventSchedProcessFork,
		traceeEventIdEVENT_SCHED_PROCESS_EXEC:      domain.EventSchedProcessExec,
		traceeEventIdEVENT_SCHED_PROCESS_EXIT:      domain.EventSchedProcessExit,
		traceeEventIdEVENT_SECURITY_FILE_OPEN:      domain.EventSecurityFileOpen,
		traceeEventIdEVENT_SECURITY_SB_MOUNT:       domain.EventSecuritySbMount,
		traceeEventIdEVENT_SECURITY_INODE_RENAME:   domain.EventSecurityInodeRename,
		traceeEventIdEVENT_SECURITY_SOCKET_CONNECT: domain.EventSecuritySocketConnect,
		traceeEventIdEVENT_MEM_PROT_ALERT:          domain.EventMemProtAlert,
		traceeEventIdEVENT_SOCKET_DUP:              domain.EventSocketDup,
		traceeEventIdEVENT_MAGIC_WRITE:             domain.EventMagicWrite,
		traceeEventIdEVENT_SECURITY_SOCKET_CREATE:  domain.EventSecuritySocketCreate,
		traceeEventIdEVENT_SECURITY_SOCKET_LISTEN:  domain.EventSecuritySocketListen,
		traceeEventIdEVENT_SECURITY_SOCKET_ACCEPT:  domain.EventSecuritySocketAccept,
		traceeEventIdEVENT_SECURITY_SOCKET_BIND:    domain.EventSecuritySocketBind,
		traceeEventIdEVENT_SECURITY_INODE_SYMLINK:  domain.EventSecurityInodeSymlink,
	}
	for c, d := range ids {
		assert.Equal(t, d, int(c))
	}
}

// TestEvents_hooks_or_a_reason: each base event has hooks or says why it is unavailable, and
// syscall events fit the generic exit's six arguments.
func TestEvents_hooks_or_a_reason(t *testing.T) {
	for _, def := range Events() {
		if def.Unavailable != "" {
			assert.Empty(t, hooksFor(def), def.Name)
			continue
		}
		assert.NotEmpty(t, hooksFor(def), def.Name)
		if def.Nr >= 0 {
			assert.LessOrEqual(t, len(def.Params), 6, def.Name)
		}
		for _, h := range hooksFor(def) {
			assert.NotEmpty(t, h.prog, def.Name)
		}
	}
}
