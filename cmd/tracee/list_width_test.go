package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seed-428f5ad7/tracee/internal/adapters/ebpf"
	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// TestListTable_fits_the_terminal: on a terminal the event rows fit its width; in a pipe (width 0)
// or with -w the arguments are printed in full.
func TestListTable_fits_the_terminal(t *testing.T) {
	events, err := domain.FilterEvents(domain.NewCatalog(ebpf.Events()).All(), []string{"type=syscall"})
	assert.NoError(t, err)
	for _, width := range []int{80, 120} {
		var out bytes.Buffer
		writeListTableWidth(streams{out: &out}, events, false, width)
		for _, line := range strings.Split(out.String(), "\n") {
			assert.LessOrEqual(t, len(line), width, "%d columns: %q", width, line)
		}
	}
	var piped bytes.Buffer
	writeListTableWidth(streams{out: &piped}, events, false, 0)
	assert.Contains(t, piped.String(), "int32 dirfd, string pathname, trace.Pointer how, uint64 size", "openat2 in full")
}
