// Package policies holds the shipped policies: Tracee YAML policies (*.yaml) and Rego finding
// policies (findings/*.rego). Its tests run the Rego unit tests (*_test.rego) with OPA's test
// runner and check that every shipped policy loads against the built-in signatures.
package policies

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/seed-428f5ad7/tracee/internal/adapters/opa"
	"github.com/seed-428f5ad7/tracee/internal/adapters/policyfile"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/signatures"
)

func TestRegoUnitTests(t *testing.T) {
	results, err := tester.Run(context.Background(), "findings")
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 {
		t.Fatal("no Rego tests found under findings/")
	}
	for _, r := range results {
		name := r.Package + "." + r.Name
		switch {
		case r.Error != nil:
			t.Errorf("%s: error: %v", name, r.Error)
		case r.Fail:
			t.Errorf("%s (%s:%d): failed", name, r.Location.File, r.Location.Row)
		default:
			t.Logf("%s: ok", name)
		}
	}
}

func builtinCatalog(t *testing.T) *domain.Catalog {
	t.Helper()
	return domain.NewCatalog(domain.SignatureEvents(builtinSignatures(t)), domain.BaseEvents())
}

func builtinSignatures(t *testing.T) []domain.LoadedSignature {
	t.Helper()
	var loaded []domain.LoadedSignature
	for _, s := range signatures.All() {
		md, err := s.GetMetadata()
		if err != nil {
			t.Fatal(err)
		}
		sel, err := s.GetSelectedEvents()
		if err != nil {
			t.Fatal(err)
		}
		loaded = append(loaded, domain.LoadedSignature{Signature: s, Info: domain.SignatureInfo{Metadata: md, Selectors: sel, Origin: "builtin"}})
	}
	return loaded
}

func TestShippedYAMLPoliciesLoad(t *testing.T) {
	ps, err := policyfile.New().Load(context.Background(), []string{"."})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) < 2 {
		t.Fatalf("loaded %d policies", len(ps))
	}
	set, err := domain.NewPolicySet(builtinCatalog(t), ps)
	if err != nil {
		t.Fatal(err)
	}
	sel := set.Selection()
	if !sel.Signatures["ptrace_code_injection"] || !sel.Need["ptrace"] || sel.Emit["ptrace"] {
		t.Errorf("selection: signatures %v need %v", sel.Signatures, sel.Need)
	}
}

func TestShippedFindingPoliciesCompile(t *testing.T) {
	e, err := opa.NewFindingEvaluator(opa.FindingConfig{Paths: []string{"."}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Files()) != 2 {
		t.Fatalf("finding policy files = %v", e.Files())
	}
}
