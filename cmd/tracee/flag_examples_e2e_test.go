package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFlagPageExamples runs every command line of the EXAMPLES sections of Tracee's flag pages
// (and v0.24.1's spellings), listed in testdata/flag-examples.txt: each either parses into a
// configuration the agent accepts (flag lines run with --dry-run) or is refused with its reason.
func TestFlagPageExamples(t *testing.T) {
	bin := builtTracee(t)
	root := repoRoot(t)
	work := t.TempDir()
	policy := func(name, path string) {
		body, err := os.ReadFile(filepath.Join(root, "policies", "security-policy.yaml"))
		require.NoError(t, err)
		text := strings.Replace(string(body), "name: security-policy", "name: "+name, 1)
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(work, path)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(work, path), []byte(text), 0o644))
	}
	policy("policy", "policy.yaml")
	policy("dir-policy", "policies/p.yaml")
	policy("policy-one", "policy1.yaml")
	policy("policy-two", "policy2.yaml")
	policy("security-policy", "security-policy.yaml")
	policy("my-policy", "my-policy.yaml")
	policy("my-policies", "my-policies/p.yaml")
	policy("dir-one", "dir1/p.yaml")
	policy("dir-two", "dir2/p.yaml")

	f, err := os.Open(filepath.Join(root, "cmd", "tracee", "testdata", "flag-examples.txt"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		page, rest, _ := strings.Cut(line, ": ")
		command, expect, ok := strings.Cut(rest, " => ")
		require.True(t, ok, line)
		n++
		t.Run(page+"/"+command, func(t *testing.T) {
			args := shellWords(strings.TrimPrefix(strings.TrimSpace(command), "tracee"))
			if !hasSubcommand(args) {
				args = append(args, "--dry-run")
			}
			stdout, stderr, code := runTraceeIn(t, bin, work, args...)
			if want, refused := strings.CutPrefix(expect, "refused: "); refused {
				assert.NotEqual(t, 0, code, "accepted: %s", stdout)
				assert.Contains(t, stderr, want)
				assert.Equal(t, 1, strings.Count(strings.TrimSpace(lastLines(stderr)), "\n")+1, "one line: %s", stderr)
				return
			}
			assert.Equal(t, 0, code, "stderr: %s", stderr)
		})
	}
	require.NoError(t, sc.Err())
	assert.Greater(t, n, 150)
}

// lastLines is the error line: what the process printed last.
func lastLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// shellWords splits a command line as a shell would for these examples: spaces, '...' and "...".
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

// hasSubcommand reports whether args name a command (list, man, version ...) rather than run the agent.
func hasSubcommand(args []string) bool {
	for _, a := range args {
		switch a {
		case "list", "man", "m", "version", "v", "config", "alerts", "signatures":
			return true
		}
	}
	return false
}
