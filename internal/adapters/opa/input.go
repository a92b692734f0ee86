// Package opa evaluates Rego with the Open Policy Agent: Rego signatures (.rego files in a
// signatures directory) and finding policies (decisions on every finding before the outputs).
// Queries are prepared once; inputs are built as ast.Value directly from the event (no JSON round
// trip), and only with the input fields a module reads.
package opa

import (
	"encoding/base64"
	"strconv"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// inputField builds one top-level field of the input document from an event. Names and shapes
// are those of Tracee's JSON output, so Rego written against `tracee -o json` works unchanged.
type inputField struct {
	key   *ast.Term
	build func(ev *trace.Event) *ast.Term
}

func intTerm(n int) *ast.Term { return ast.InternedTerm(n) }

func uintTerm(n uint64) *ast.Term {
	if n < 1<<31 {
		return ast.InternedTerm(int(n))
	}
	return ast.NewTerm(ast.Number(strconv.FormatUint(n, 10)))
}

func strTerm(s string) *ast.Term {
	if s == "" {
		return ast.InternedEmptyString
	}
	return ast.StringTerm(s)
}

func obj(pairs ...[2]*ast.Term) *ast.Term { return ast.NewTerm(ast.NewObject(pairs...)) }

func kv(k string, v *ast.Term) [2]*ast.Term { return [2]*ast.Term{ast.InternedTerm(k), v} }

// inputFields are every field of the event document, in Tracee's JSON order.
var inputFields = []inputField{
	{ast.InternedTerm("timestamp"), func(ev *trace.Event) *ast.Term { return intTerm(ev.Timestamp) }},
	{ast.InternedTerm("threadStartTime"), func(ev *trace.Event) *ast.Term { return intTerm(ev.ThreadStartTime) }},
	{ast.InternedTerm("processorId"), func(ev *trace.Event) *ast.Term { return intTerm(ev.ProcessorID) }},
	{ast.InternedTerm("processId"), func(ev *trace.Event) *ast.Term { return intTerm(ev.ProcessID) }},
	{ast.InternedTerm("cgroupId"), func(ev *trace.Event) *ast.Term { return uintTerm(uint64(ev.CgroupID)) }},
	{ast.InternedTerm("threadId"), func(ev *trace.Event) *ast.Term { return intTerm(ev.ThreadID) }},
	{ast.InternedTerm("parentProcessId"), func(ev *trace.Event) *ast.Term { return intTerm(ev.ParentProcessID) }},
	{ast.InternedTerm("hostProcessId"), func(ev *trace.Event) *ast.Term { return intTerm(ev.HostProcessID) }},
	{ast.InternedTerm("hostThreadId"), func(ev *trace.Event) *ast.Term { return intTerm(ev.HostThreadID) }},
	{ast.InternedTerm("hostParentProcessId"), func(ev *trace.Event) *ast.Term { return intTerm(ev.HostParentProcessID) }},
	{ast.InternedTerm("userId"), func(ev *trace.Event) *ast.Term { return intTerm(ev.UserID) }},
	{ast.InternedTerm("mountNamespace"), func(ev *trace.Event) *ast.Term { return intTerm(ev.MountNS) }},
	{ast.InternedTerm("pidNamespace"), func(ev *trace.Event) *ast.Term { return intTerm(ev.PIDNS) }},
	{ast.InternedTerm("processName"), func(ev *trace.Event) *ast.Term { return strTerm(ev.ProcessName) }},
	{ast.InternedTerm("executable"), func(ev *trace.Event) *ast.Term { return obj(kv("path", strTerm(ev.Executable.Path))) }},
	{ast.InternedTerm("hostName"), func(ev *trace.Event) *ast.Term { return strTerm(ev.HostName) }},
	{ast.InternedTerm("containerId"), func(ev *trace.Event) *ast.Term { return strTerm(ev.ContainerID) }},
	{ast.InternedTerm("container"), func(ev *trace.Event) *ast.Term {
		c := ev.Container
		return obj(kv("id", strTerm(c.ID)), kv("name", strTerm(c.Name)), kv("image", strTerm(c.ImageName)), kv("imageDigest", strTerm(c.ImageDigest)))
	}},
	{ast.InternedTerm("kubernetes"), func(ev *trace.Event) *ast.Term {
		k := ev.Kubernetes
		return obj(kv("podName", strTerm(k.PodName)), kv("podNamespace", strTerm(k.PodNamespace)), kv("podUID", strTerm(k.PodUID)),
			kv("podSandbox", ast.InternedTerm(k.PodSandbox)))
	}},
	// Tracee's JSON writes eventId as a string.
	{ast.InternedTerm("eventId"), func(ev *trace.Event) *ast.Term { return strTerm(strconv.Itoa(ev.EventID)) }},
	{ast.InternedTerm("eventName"), func(ev *trace.Event) *ast.Term { return strTerm(ev.EventName) }},
	{ast.InternedTerm("matchedPolicies"), func(ev *trace.Event) *ast.Term {
		terms := make([]*ast.Term, len(ev.MatchedPolicies))
		for i, p := range ev.MatchedPolicies {
			terms[i] = strTerm(p)
		}
		return ast.ArrayTerm(terms...)
	}},
	{ast.InternedTerm("argsNum"), func(ev *trace.Event) *ast.Term { return intTerm(ev.ArgsNum) }},
	{ast.InternedTerm("returnValue"), func(ev *trace.Event) *ast.Term { return intTerm(ev.ReturnValue) }},
	{ast.InternedTerm("syscall"), func(ev *trace.Event) *ast.Term { return strTerm(ev.Syscall) }},
	{ast.InternedTerm("stackAddresses"), func(ev *trace.Event) *ast.Term {
		terms := make([]*ast.Term, len(ev.StackAddresses))
		for i, a := range ev.StackAddresses {
			terms[i] = uintTerm(a)
		}
		return ast.ArrayTerm(terms...)
	}},
	{ast.InternedTerm("contextFlags"), func(ev *trace.Event) *ast.Term {
		return obj(kv("containerStarted", ast.InternedTerm(ev.ContextFlags.ContainerStarted)), kv("isCompat", ast.InternedTerm(ev.ContextFlags.IsCompat)))
	}},
	{ast.InternedTerm("threadEntityId"), func(ev *trace.Event) *ast.Term { return uintTerm(uint64(ev.ThreadEntityId)) }},
	{ast.InternedTerm("processEntityId"), func(ev *trace.Event) *ast.Term { return uintTerm(uint64(ev.ProcessEntityId)) }},
	{ast.InternedTerm("parentEntityId"), func(ev *trace.Event) *ast.Term { return uintTerm(uint64(ev.ParentEntityId)) }},
	{ast.InternedTerm("args"), func(ev *trace.Event) *ast.Term {
		terms := make([]*ast.Term, len(ev.Args))
		for i := range ev.Args {
			a := &ev.Args[i]
			terms[i] = obj(kv("name", nameTerm(a.Name)), kv("type", nameTerm(a.Type)), kv("value", valueTerm(a.Value)))
		}
		return ast.ArrayTerm(terms...)
	}},
	// data holds the arguments by name ({"pathname": "/etc/shadow", ...}), as Tracee's policy
	// filters call them: one object lookup instead of a scan of args.
	{ast.InternedTerm("data"), func(ev *trace.Event) *ast.Term {
		o := ast.NewObjectWithCapacity(len(ev.Args))
		for i := range ev.Args {
			o.Insert(nameTerm(ev.Args[i].Name), valueTerm(ev.Args[i].Value))
		}
		return ast.NewTerm(o)
	}},
	{ast.InternedTerm("metadata"), func(ev *trace.Event) *ast.Term {
		if ev.Metadata == nil {
			return ast.NullTerm()
		}
		m := ev.Metadata
		return obj(kv("Version", strTerm(m.Version)), kv("Description", strTerm(m.Description)),
			kv("Tags", valueTerm(m.Tags)), kv("Properties", valueTerm(m.Properties)))
	}},
}

// nameTerms interns argument names: a bounded set (the catalog's), seen on every event.
var nameTerms sync.Map

func nameTerm(name string) *ast.Term {
	if t, ok := nameTerms.Load(name); ok {
		return t.(*ast.Term)
	}
	t := ast.StringTerm(name)
	nameTerms.Store(name, t)
	return t
}

// inputShape is the subset of input fields a set of modules reads.
type inputShape struct {
	fields []inputField
}

// shapeFor returns the fields named in keys; all of them when keys is nil (a module reads the
// whole input document, or a key that cannot be known statically).
func shapeFor(keys map[string]bool) inputShape {
	var s inputShape
	for _, f := range inputFields {
		if keys == nil || keys[string(f.key.Value.(ast.String))] {
			s.fields = append(s.fields, f)
		}
	}
	return s
}

// value builds the input document for ev.
func (s inputShape) value(ev *trace.Event) ast.Object {
	o := ast.NewObjectWithCapacity(len(s.fields))
	for _, f := range s.fields {
		o.Insert(f.key, f.build(ev))
	}
	return o
}

// inputKeys finds the top-level input fields the modules read; nil means "all of them".
func inputKeys(modules ...*ast.Module) map[string]bool {
	keys := map[string]bool{}
	all := false
	vis := ast.NewGenericVisitor(func(x interface{}) bool {
		switch t := x.(type) {
		case ast.Ref:
			if len(t) == 0 || !t[0].Equal(ast.InputRootDocument) {
				return false
			}
			if len(t) >= 2 {
				if s, ok := t[1].Value.(ast.String); ok {
					keys[string(s)] = true
					return true
				}
			}
			all = true
			return true
		case ast.Var:
			if t.Equal(ast.InputRootDocument.Value) {
				all = true
			}
		}
		return false
	})
	for _, m := range modules {
		for _, r := range m.Rules {
			vis.Walk(r)
		}
	}
	if all {
		return nil
	}
	return keys
}

// valueTerm converts an argument value of the types event sources and the JSON decoder produce.
func valueTerm(v interface{}) *ast.Term {
	switch x := v.(type) {
	case nil:
		return ast.NullTerm()
	case string:
		return strTerm(x)
	case bool:
		return ast.InternedTerm(x)
	case int:
		return intTerm(x)
	case int8:
		return intTerm(int(x))
	case int16:
		return intTerm(int(x))
	case int32:
		return intTerm(int(x))
	case int64:
		return ast.NewTerm(ast.Number(strconv.FormatInt(x, 10)))
	case uint:
		return uintTerm(uint64(x))
	case uint8:
		return intTerm(int(x))
	case uint16:
		return intTerm(int(x))
	case uint32:
		return uintTerm(uint64(x))
	case uint64:
		return uintTerm(x)
	case float32:
		return ast.FloatNumberTerm(float64(x))
	case float64:
		return ast.FloatNumberTerm(x)
	case []string:
		terms := make([]*ast.Term, len(x))
		for i, s := range x {
			terms[i] = strTerm(s)
		}
		return ast.ArrayTerm(terms...)
	case []byte: // as encoding/json writes it, which Tracee's Rego helpers expect
		return strTerm(base64.StdEncoding.EncodeToString(x))
	case []interface{}:
		terms := make([]*ast.Term, len(x))
		for i, item := range x {
			terms[i] = valueTerm(item)
		}
		return ast.ArrayTerm(terms...)
	case map[string]interface{}:
		o := ast.NewObjectWithCapacity(len(x))
		for k, item := range x {
			o.Insert(strTerm(k), valueTerm(item))
		}
		return ast.NewTerm(o)
	case []trace.Argument:
		terms := make([]*ast.Term, len(x))
		for i := range x {
			terms[i] = obj(kv("name", strTerm(x[i].Name)), kv("type", strTerm(x[i].Type)), kv("value", valueTerm(x[i].Value)))
		}
		return ast.ArrayTerm(terms...)
	}
	// Structs (e.g. trace.SlimCred) and other rare types: OPA's generic conversion.
	if val, err := ast.InterfaceToValue(v); err == nil {
		return ast.NewTerm(val)
	}
	return ast.NullTerm()
}
