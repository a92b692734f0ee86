package policyfile

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/detect"
)

func TestLoad_reads_files_and_directories(t *testing.T) {
	l := New()
	ps, err := l.Load(context.Background(), []string{"testdata"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Name != "security-policy" || ps[1].Name != "shells" {
		t.Fatalf("policies = %+v", ps)
	}
	if ps[0].Description == "" || len(ps[0].Rules) != 2 || len(ps[0].Rules[1].Filters) != 2 {
		t.Fatalf("first policy = %+v", ps[0])
	}
	if len(ps[1].Scope) != 2 || ps[1].Scope[1].Field != "not-container" {
		t.Fatalf("second policy scope = %+v", ps[1].Scope)
	}
	if !strings.HasSuffix(ps[1].Rules[0].Pos, "security-policy.yaml:28:14") {
		t.Fatalf("rule position = %s", ps[1].Rules[0].Pos)
	}
	// events are checked against the catalog afterwards, with the rule's position
	sig := domain.LoadedSignature{Info: domain.SignatureInfo{Metadata: detect.SignatureMetadata{ID: "TRC-102", EventName: "anti_debugging"},
		Selectors: []detect.SignatureEventSelector{{Name: "ptrace"}}}}
	cat := domain.NewCatalog(domain.SignatureEvents([]domain.LoadedSignature{sig}), domain.BaseEvents())
	if _, err := domain.NewPolicySet(cat, ps); err != nil {
		t.Fatal(err)
	}
}

const header = "apiVersion: tracee.aquasec.com/v1beta1\nkind: Policy\nmetadata:\n  name: p\n"

func TestParse_reports_mistakes_with_position_and_fix(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // each must appear in the error
	}{
		{name: "bad apiVersion", yaml: "apiVersion: aquasecurity.github.io/v1beta1\nkind: Policy\nmetadata:\n  name: p\nspec:\n  scope: [global]\n  rules: [{event: ptrace}]\n",
			want: []string{"f.yaml:1:13: apiVersion \"aquasecurity.github.io/v1beta1\" is not supported; write apiVersion: tracee.aquasec.com/v1beta1"}},
		{name: "bad kind", yaml: "apiVersion: tracee.aquasec.com/v1beta1\nkind: TraceePolicy\nmetadata:\n  name: p\nspec:\n  scope: [global]\n  rules: [{event: ptrace}]\n",
			want: []string{"f.yaml:2:7: kind \"TraceePolicy\" is not supported"}},
		{name: "unknown field suggests", yaml: header + "spec:\n  scope: [global]\n  rulez:\n    - event: ptrace\n",
			want: []string{"f.yaml:7:3: unknown field spec.rulez; did you mean rules?", "f.yaml:5:1: missing spec.rules"}},
		{name: "non DNS name", yaml: "apiVersion: tracee.aquasec.com/v1beta1\nkind: Policy\nmetadata:\n  name: My_Policy\nspec:\n  scope: [global]\n  rules: [{event: ptrace}]\n",
			want: []string{"f.yaml:4:9: policy name \"My_Policy\" is not a DNS-1123 name", "e.g. my-policy"}},
		{name: "unknown scope", yaml: header + "spec:\n  scope:\n    - cmm=bash\n  rules:\n    - event: ptrace\n",
			want: []string{"f.yaml:7:7: unknown field \"cmm\"", "did you mean comm"}},
		{name: "bad operator", yaml: header + "spec:\n  scope:\n    - comm>bash\n  rules:\n    - event: ptrace\n",
			want: []string{"f.yaml:7:7: operator \">\" is not allowed on comm"}},
		{name: "bad value", yaml: header + "spec:\n  scope:\n    - global\n  rules:\n    - event: ptrace\n      filters:\n        - retval>=abc\n",
			want: []string{"f.yaml:11:11: retval needs a whole number"}},
		{name: "unknown rule field", yaml: header + "spec:\n  scope: [global]\n  rules:\n    - event: ptrace\n      filter: [uid=0]\n",
			want: []string{"f.yaml:9:7: unknown field rule.filter; did you mean filters?"}},
		{name: "scope not a list", yaml: header + "spec:\n  scope: global\n  rules: [{event: ptrace}]\n",
			want: []string{"f.yaml:6:10: spec.scope must be a list"}},
		{name: "missing everything", yaml: "foo: 1\n",
			want: []string{"f.yaml:1:1: unknown field policy.foo", "missing apiVersion", "missing spec"}},
		{name: "invalid yaml", yaml: header + "spec:\n  scope: [global\n",
			want: []string{"f.yaml:", "invalid YAML"}},
		{name: "several mistakes at once", yaml: header + "spec:\n  scope:\n    - uid=root\n    - pid<\n  rules:\n    - filters: [uid=0]\n",
			want: []string{"f.yaml:7:7: uid needs a whole number", "f.yaml:8:7: empty value", "f.yaml:10:7: rule without event"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%s\ndoes not contain\n%s", err, w)
				}
			}
		})
	}
}

func TestLoad_refuses_more_than_64_policies(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := 0; i < 65; i++ {
		b.WriteString("---\napiVersion: tracee.aquasec.com/v1beta1\nkind: Policy\nmetadata:\n  name: p" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + "\nspec:\n  scope: [global]\n  rules: [{event: ptrace}]\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "many.yaml"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := New().Load(context.Background(), []string{dir})
	if err == nil || !strings.Contains(err.Error(), "at most 64") || !strings.Contains(err.Error(), "many.yaml:") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoad_missing_path(t *testing.T) {
	_, err := New().Load(context.Background(), []string{"testdata/nope.yaml"})
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoad_skips_rego_and_refuses_other_files(t *testing.T) {
	dir := t.TempDir()
	rego := filepath.Join(dir, "f.rego")
	txt := filepath.Join(dir, "notes.txt")
	for _, f := range []string{rego, txt} {
		if err := os.WriteFile(f, []byte("package tracee.findings\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := New().Load(context.Background(), []string{rego, dir})
	if err != nil || len(ps) != 0 {
		t.Fatalf("rego file and directory without YAML: %v %v", ps, err)
	}
	if _, err := New().Load(context.Background(), []string{txt}); err == nil || !strings.Contains(err.Error(), "notes.txt: not a policy file") {
		t.Fatalf("err = %v", err)
	}
}
