package policyfile

import "testing"

// FuzzParse checks that no file content makes the parser panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(header + "spec:\n  scope: [global]\n  rules: [{event: ptrace, filters: [uid=0]}]\n"))
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("apiVersion: [1]\nkind: {a: b}\nmetadata: 3\nspec: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Parse("f.yaml", data)
	})
}
