package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

func jsonEvents(t *testing.T, stdout string) []trace.Event {
	t.Helper()
	var out []trace.Event
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if line == "" {
			continue
		}
		var ev trace.Event
		require.NoError(t, json.Unmarshal([]byte(line), &ev), line)
		out = append(out, ev)
	}
	return out
}

// The seed's example: `tracee --signatures-dir DIR --policy ./security-policy.yaml`.
func TestPolicy_shipped_security_policy_over_the_sample(t *testing.T) {
	dir := filepath.Join(filepath.Dir(builtTracee(t)), "signatures")
	stdout, stderr, code := runTracee(t, "--signatures-dir", dir, "--policy", "../../policies/security-policy.yaml",
		"--replay", sampleEvents, "-o", "json")
	require.Equal(t, 0, code, stderr)
	got := jsonEvents(t, stdout)
	require.Len(t, got, len(sampleFindings))
	for i, ev := range got {
		assert.Equal(t, sampleFindings[i].event, ev.EventName)
		assert.Equal(t, []string{"security-policy"}, ev.MatchedPolicies)
	}
}

func TestPolicy_scope_and_rules_choose_events(t *testing.T) {
	tmp := t.TempDir()
	policy := writeFile(t, tmp, "p.yaml", `apiVersion: tracee.aquasec.com/v1beta1
kind: Policy
metadata:
  name: only-tee
spec:
  scope:
    - comm=tee,id
  rules:
    - event: ld_preload
    - event: security_file_open
      filters:
        - data.pathname=/etc/*
`)
	stdout, stderr, code := runTracee(t, "-p", policy, "--replay", sampleEvents, "-o", "json")
	require.Equal(t, 0, code, stderr)
	var names []string
	for _, ev := range jsonEvents(t, stdout) {
		names = append(names, ev.EventName+"/"+ev.ProcessName)
		assert.Equal(t, []string{"only-tee"}, ev.MatchedPolicies)
	}
	assert.Equal(t, []string{"ld_preload/id", "security_file_open/tee", "ld_preload/tee"}, names,
		"anti_debugging is not named; cat is out of scope; the open by tee is printed before its finding")
}

func TestPolicy_finding_policy_suppresses(t *testing.T) {
	tmp := t.TempDir()
	rego := writeFile(t, tmp, "exceptions.rego", `package tracee.findings

suppress contains "evil is our test harness" if {
	input.signature.id == "TRC-102"
	input.processName == "evil"
}
`)
	stdout, stderr, code := runTracee(t, "-p", rego, "--replay", sampleEvents, "-o", "json")
	require.Equal(t, 0, code, stderr)
	got := jsonEvents(t, stdout)
	require.Len(t, got, len(sampleFindings)-1)
	for _, ev := range got {
		assert.NotEqual(t, "anti_debugging", ev.EventName)
	}
	assert.Contains(t, stderr, "suppressed=1")
}

func TestPolicy_mistakes_get_one_clear_line(t *testing.T) {
	tmp := t.TempDir()
	bad := writeFile(t, tmp, "bad.yaml", `apiVersion: tracee.aquasec.com/v1beta1
kind: Policy
metadata:
  name: bad
spec:
  scope:
    - global
  rules:
    - event: anti_debuging
`)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown event in a rule", []string{"-p", bad}, "bad.yaml:9"},
		{"events flag with a policy", []string{"-p", "../../policies/security-policy.yaml", "-e", "ptrace"}, "--events/--scope cannot be used together with --policy"},
		{"missing policy file", []string{"-p", filepath.Join(tmp, "nope.yaml")}, "nope.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runTracee(t, append(tt.args, "--replay", sampleEvents)...)
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr, tt.want)
		})
	}
}

func TestList_shows_policies_and_what_they_select(t *testing.T) {
	stdout, stderr, code := runTracee(t, "list", "-p", "../../policies/user-activity.yaml", "--kind", "signature")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "Policies (1)")
	assert.Regexp(t, `user-activity\s+uid>=1000 not-container\s+sched_process_exec,setuid`, stdout)

	stdout, _, code = runTracee(t, "list", "-p", "../../policies/user-activity.yaml", "--json")
	require.Equal(t, 0, code)
	var out struct {
		Policies []struct{ Name string }
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	require.Len(t, out.Policies, 1)
	assert.Equal(t, "user-activity", out.Policies[0].Name)
}
