package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConfig_file_in_both_formats: --config in YAML (nested and list forms) and JSON sets the
// flags it names; flags on the command line override it; bad files are refused with file:line.
func TestConfig_file_in_both_formats(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	yamlList := write("list.yaml", "output:\n  - json\nlogging:\n  - level=warn\n")
	yamlNested := write("nested.yaml", "output: json\nlogging:\n  level: warn\n")
	jsonFile := write("config.json", `{"output": ["json"], "logging": {"level": "warn"}}`)
	for _, cfg := range []string{yamlList, yamlNested, jsonFile} {
		t.Run(filepath.Base(cfg), func(t *testing.T) {
			stdout, stderr, code := runTracee(t, "--config", cfg, "--replay", sampleEvents)
			require.Equal(t, 0, code, stderr)
			assert.True(t, strings.HasPrefix(stdout, "{"), "json output from the config file: %s", stdout)
			assert.NotContains(t, stderr, "agent stopped", "level=warn from the config file hides info lines")

			stdout, stderr, code = runTracee(t, "--config", cfg, "--replay", sampleEvents, "--output", "table")
			require.Equal(t, 0, code, stderr)
			assert.True(t, strings.HasPrefix(stdout, "TIME"), "the flag overrides the file: %s", stdout)
		})
	}
	bad := []struct{ body, want string }{
		{"ouptut: [json]\n", `bad.yaml:1:1: unknown key "ouptut"; did you mean output?`},
		{"output: [json]\nscope: [uid=0]\n", "bad.yaml:2:1: --scope is CLI-only, as in Tracee"},
		{"output: [json\n", "bad.yaml: not YAML or JSON"},
	}
	for _, b := range bad {
		_, stderr, code := runTracee(t, "--config", write("bad.yaml", b.body), "--replay", sampleEvents)
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, b.want)
	}
	stdout, _, code := runTracee(t, "--config", yamlNested, "config", "print")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "output:\n  - \"json\"\n")
}
