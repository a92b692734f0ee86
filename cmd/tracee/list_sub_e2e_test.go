package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestListSubcommands: list events|detectors|policies with the filters of Tracee's list pages,
// and man FLAG|EVENT; bare list keeps working as the seed shows.
func TestListSubcommands(t *testing.T) {
	tests := []struct {
		args        []string
		contains    []string
		notContains []string
	}{
		{[]string{"list", "events", "open*", "tag=fs_file_ops"}, []string{"openat ", "open_by_handle_at"}, []string{"execve", "[sig]"}},
		{[]string{"list", "events", "type=detector", "threat.severity=high"}, []string{"ptrace_code_injection"}, []string{"anti_debugging", "openat"}},
		{[]string{"list", "events", "threat.mitre.technique=T1622"}, []string{"anti_debugging"}, []string{"ptrace_code_injection"}},
		{[]string{"list", "events", "magic_write"}, []string{"magic_write"}, nil},
		{[]string{"list", "events", "kprobe_attach"}, []string{"Unavailable Events (1)", "kprobe"}, nil},
		{[]string{"list", "detectors"}, []string{"TRC-102", "anti_debugging", "LOW", "ptrace", "T1622"}, nil},
		{[]string{"list", "policies", "../../policies"}, []string{"security-policy", "global"}, nil},
		{[]string{"list"}, []string{"Signature Events", "Syscall Events", "Unavailable Events"}, nil},
		{[]string{"man", "e"}, []string{"tracee --events"}, nil},
		{[]string{"man", "openat"}, []string{"openat - syscall event 257", "- pathname (string)"}, nil},
		{[]string{"man", "anti_debugging"}, []string{"TRC-102", "Selects: ptrace"}, nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code := runTracee(t, tt.args...)
			require.Equal(t, 0, code, stderr)
			for _, s := range tt.contains {
				assert.Contains(t, stdout, s)
			}
			for _, s := range tt.notContains {
				assert.NotContains(t, stdout, s)
			}
		})
	}
	stdout, _, code := runTracee(t, "list", "events", "--json", "type=syscall", "openat")
	require.Equal(t, 0, code)
	var out listJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	require.Len(t, out.Events, 1)
	assert.Equal(t, "openat", out.Events[0].Name)
	assert.Equal(t, 257, out.Events[0].ID)

	_, stderr, code := runTracee(t, "man", "opnat")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "did you mean openat")
}
