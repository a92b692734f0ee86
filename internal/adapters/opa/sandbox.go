package opa

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// capabilities are OPA's builtins without the non-deterministic ones (http.send,
// net.lookup_ip_addr, time.now_ns, opa.runtime, rand.intn, uuid.rfc4122, io.jwt.*, the schema
// builtins that may fetch) and with no network host allowed. A signature or policy is a pure
// function of its input: it runs inside a root agent and must not reach out or vary run to run.
// Pure builtins such as net.cidr_contains stay.
var capabilities = sync.OnceValues(func() (*ast.Capabilities, map[string]bool) {
	all := ast.CapabilitiesForThisVersion()
	caps := *all
	caps.Builtins = nil
	refused := map[string]bool{}
	for _, b := range all.Builtins {
		if b.Nondeterministic {
			refused[b.Name] = true
			continue
		}
		caps.Builtins = append(caps.Builtins, b)
	}
	caps.AllowNet = []string{} // empty, not nil: nil would allow every host
	return &caps, refused
})

// RefusedBuiltins lists the builtins a Rego signature or finding policy may not call.
func RefusedBuiltins() []string {
	_, refused := capabilities()
	out := make([]string, 0, len(refused))
	for name := range refused {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// checkBuiltins refuses a module that calls a non-deterministic builtin, naming the builtin and
// where it is called ("FILE:ROW:COL: ..."). The compiler, given the same capabilities, would also
// refuse it, as an undefined function.
func checkBuiltins(m *ast.Module) error {
	_, refused := capabilities()
	var errs []string
	report := func(name string, loc *ast.Location) {
		if !refused[name] {
			return
		}
		pos := ""
		if loc != nil {
			pos = fmt.Sprintf("%s:%d:%d: ", loc.File, loc.Row, loc.Col)
		}
		errs = append(errs, pos+"calls "+name+", which tracee refuses: Rego signatures and policies may use only "+
			"deterministic builtins and no network (refused: "+strings.Join(RefusedBuiltins(), ", ")+")")
	}
	ast.WalkExprs(m, func(e *ast.Expr) bool {
		if e.IsCall() {
			report(e.Operator().String(), e.Location)
		}
		return false
	})
	ast.WalkTerms(m, func(t *ast.Term) bool {
		if c, ok := t.Value.(ast.Call); ok && len(c) > 0 {
			report(c[0].String(), t.Location)
		}
		return false
	})
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}
