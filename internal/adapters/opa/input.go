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
// An object field builds only the keys in sub (nil: all of them), those the modules read.
type inputField struct {
	key   *ast.Term
	build func(ev *trace.Event, sub map[string]bool) *ast.Term
	// member reads one key of an object field without building the object; nil: build it.
	member func(ev *trace.Event, key string) (*ast.Term, directState)
}

// objectMember is one key of an object field whose keys do not depend on the event.
type objectMember struct {
	key string
	get func(ev *trace.Event) *ast.Term
}

// objectField is an object field with fixed keys: built with the keys read, or read key by key.
func objectField(key string, members ...objectMember) inputField {
	f := field(key, func(ev *trace.Event, sub map[string]bool) *ast.Term {
		o := newObject(sub, len(members))
		for _, m := range members {
			if o.wants(m.key) {
				o.put(m.key, m.get(ev))
			}
		}
		return o.term()
	})
	f.member = func(ev *trace.Event, key string) (*ast.Term, directState) {
		for _, m := range members {
			if m.key == key {
				return m.get(ev), stateDefined
			}
		}
		return nil, stateUndefined
	}
	return f
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

// object builds an object with the keys of sub only (all when sub is nil); keys are interned.
type object struct {
	sub map[string]bool
	o   ast.Object
}

func newObject(sub map[string]bool, n int) object {
	if sub != nil && len(sub) < n {
		n = len(sub)
	}
	return object{sub: sub, o: ast.NewObjectWithCapacity(n)}
}

// wants says whether key is to be built: test it before computing a costly value.
func (b object) wants(key string) bool { return b.sub == nil || b.sub[key] }

func (b object) put(key string, v *ast.Term) {
	if b.wants(key) {
		b.o.Insert(nameTerm(key), v)
	}
}

func (b object) term() *ast.Term { return ast.NewTerm(b.o) }

func field(key string, build func(ev *trace.Event, sub map[string]bool) *ast.Term) inputField {
	return inputField{key: nameTerm(key), build: build}
}

func scalar(key string, build func(ev *trace.Event) *ast.Term) inputField {
	return field(key, func(ev *trace.Event, _ map[string]bool) *ast.Term { return build(ev) })
}

// inputFields are every field of the event document, in Tracee's JSON order.
var inputFields = []inputField{
	scalar("timestamp", func(ev *trace.Event) *ast.Term { return intTerm(ev.Timestamp) }),
	scalar("threadStartTime", func(ev *trace.Event) *ast.Term { return intTerm(ev.ThreadStartTime) }),
	scalar("processorId", func(ev *trace.Event) *ast.Term { return intTerm(ev.ProcessorID) }),
	scalar("processId", func(ev *trace.Event) *ast.Term { return intTerm(ev.ProcessID) }),
	scalar("cgroupId", func(ev *trace.Event) *ast.Term { return uintTerm(uint64(ev.CgroupID)) }),
	scalar("threadId", func(ev *trace.Event) *ast.Term { return intTerm(ev.ThreadID) }),
	scalar("parentProcessId", func(ev *trace.Event) *ast.Term { return intTerm(ev.ParentProcessID) }),
	scalar("hostProcessId", func(ev *trace.Event) *ast.Term { return intTerm(ev.HostProcessID) }),
	scalar("hostThreadId", func(ev *trace.Event) *ast.Term { return intTerm(ev.HostThreadID) }),
	scalar("hostParentProcessId", func(ev *trace.Event) *ast.Term { return intTerm(ev.HostParentProcessID) }),
	scalar("userId", func(ev *trace.Event) *ast.Term { return intTerm(ev.UserID) }),
	scalar("mountNamespace", func(ev *trace.Event) *ast.Term { return intTerm(ev.MountNS) }),
	scalar("pidNamespace", func(ev *trace.Event) *ast.Term { return intTerm(ev.PIDNS) }),
	scalar("processName", func(ev *trace.Event) *ast.Term { return contextTerm(ev.ProcessName) }),
	objectField("executable", objectMember{"path", func(ev *trace.Event) *ast.Term { return contextTerm(ev.Executable.Path) }}),
	scalar("hostName", func(ev *trace.Event) *ast.Term { return contextTerm(ev.HostName) }),
	scalar("containerId", func(ev *trace.Event) *ast.Term { return contextTerm(ev.ContainerID) }),
	objectField("container",
		objectMember{"id", func(ev *trace.Event) *ast.Term { return contextTerm(ev.Container.ID) }},
		objectMember{"name", func(ev *trace.Event) *ast.Term { return contextTerm(ev.Container.Name) }},
		objectMember{"image", func(ev *trace.Event) *ast.Term { return contextTerm(ev.Container.ImageName) }},
		objectMember{"imageDigest", func(ev *trace.Event) *ast.Term { return contextTerm(ev.Container.ImageDigest) }},
	),
	objectField("kubernetes",
		objectMember{"podName", func(ev *trace.Event) *ast.Term { return contextTerm(ev.Kubernetes.PodName) }},
		objectMember{"podNamespace", func(ev *trace.Event) *ast.Term { return contextTerm(ev.Kubernetes.PodNamespace) }},
		objectMember{"podUID", func(ev *trace.Event) *ast.Term { return contextTerm(ev.Kubernetes.PodUID) }},
		objectMember{"podSandbox", func(ev *trace.Event) *ast.Term { return ast.InternedTerm(ev.Kubernetes.PodSandbox) }},
	),
	// Tracee's JSON writes eventId as a string.
	scalar("eventId", func(ev *trace.Event) *ast.Term { return ast.InternedIntegerString(ev.EventID) }),
	scalar("eventName", func(ev *trace.Event) *ast.Term { return nameTerm(ev.EventName) }),
	scalar("matchedPolicies", func(ev *trace.Event) *ast.Term {
		terms := make([]*ast.Term, len(ev.MatchedPolicies))
		for i, p := range ev.MatchedPolicies {
			terms[i] = strTerm(p)
		}
		return ast.ArrayTerm(terms...)
	}),
	scalar("argsNum", func(ev *trace.Event) *ast.Term { return intTerm(ev.ArgsNum) }),
	scalar("returnValue", func(ev *trace.Event) *ast.Term { return intTerm(ev.ReturnValue) }),
	scalar("syscall", func(ev *trace.Event) *ast.Term { return contextTerm(ev.Syscall) }),
	scalar("stackAddresses", func(ev *trace.Event) *ast.Term {
		terms := make([]*ast.Term, len(ev.StackAddresses))
		for i, a := range ev.StackAddresses {
			terms[i] = uintTerm(a)
		}
		return ast.ArrayTerm(terms...)
	}),
	objectField("contextFlags",
		objectMember{"containerStarted", func(ev *trace.Event) *ast.Term { return ast.InternedTerm(ev.ContextFlags.ContainerStarted) }},
		objectMember{"isCompat", func(ev *trace.Event) *ast.Term { return ast.InternedTerm(ev.ContextFlags.IsCompat) }},
	),
	scalar("threadEntityId", func(ev *trace.Event) *ast.Term { return uintTerm(uint64(ev.ThreadEntityId)) }),
	scalar("processEntityId", func(ev *trace.Event) *ast.Term { return uintTerm(uint64(ev.ProcessEntityId)) }),
	scalar("parentEntityId", func(ev *trace.Event) *ast.Term { return uintTerm(uint64(ev.ParentEntityId)) }),
	scalar("args", func(ev *trace.Event) *ast.Term {
		terms := make([]*ast.Term, len(ev.Args))
		for i := range ev.Args {
			a := &ev.Args[i]
			o := newObject(nil, 3)
			o.put("name", nameTerm(a.Name))
			o.put("type", nameTerm(a.Type))
			o.put("value", valueTerm(a.Value))
			terms[i] = o.term()
		}
		return ast.ArrayTerm(terms...)
	}),
	dataField,
	field("metadata", func(ev *trace.Event, sub map[string]bool) *ast.Term {
		if ev.Metadata == nil {
			return ast.InternedNullTerm
		}
		m, o := ev.Metadata, newObject(sub, 4)
		o.put("Version", strTerm(m.Version))
		o.put("Description", strTerm(m.Description))
		if o.wants("Tags") {
			o.put("Tags", valueTerm(m.Tags))
		}
		if o.wants("Properties") {
			o.put("Properties", valueTerm(m.Properties))
		}
		return o.term()
	}),
}

// dataField holds the arguments by name ({"pathname": "/etc/shadow", ...}), as Tracee's policy
// filters call them: one object lookup instead of a scan of args. Of several arguments with one
// name, the last is kept (as the object built from them keeps it).
var dataField = inputField{
	key: nameTerm("data"),
	build: func(ev *trace.Event, sub map[string]bool) *ast.Term {
		o := newObject(sub, len(ev.Args))
		for i := range ev.Args {
			if o.wants(ev.Args[i].Name) {
				o.put(ev.Args[i].Name, valueTerm(ev.Args[i].Value))
			}
		}
		return o.term()
	},
	member: func(ev *trace.Event, key string) (*ast.Term, directState) {
		for i := len(ev.Args) - 1; i >= 0; i-- {
			if ev.Args[i].Name == key {
				return valueTerm(ev.Args[i].Value), stateDefined
			}
		}
		return nil, stateUndefined
	},
}

// fieldByName finds a top-level field of the event document by its key.
var fieldByName = func() map[string]*inputField {
	m := make(map[string]*inputField, len(inputFields))
	for i := range inputFields {
		m[string(inputFields[i].key.Value.(ast.String))] = &inputFields[i]
	}
	return m
}()

// contextTerms interns the strings of an event's context (process name, executable path, host,
// container and pod fields, syscall; a finding's signature ID and name), which repeat from event
// to event: at most
// maxContextTerms strings of at most maxContextTermLen bytes, the first seen; past that, a
// term per read. The bound keeps names an attacker chooses from growing it.
var contextTerms = struct {
	sync.RWMutex
	m map[string]*ast.Term
}{m: map[string]*ast.Term{}}

const (
	maxContextTerms   = 1024
	maxContextTermLen = 256
)

func contextTerm(s string) *ast.Term {
	if s == "" {
		return ast.InternedEmptyString
	}
	if len(s) > maxContextTermLen {
		return ast.StringTerm(s)
	}
	contextTerms.RLock()
	t := contextTerms.m[s]
	contextTerms.RUnlock()
	if t != nil {
		return t
	}
	t = ast.StringTerm(s)
	contextTerms.Lock()
	if old, ok := contextTerms.m[s]; ok {
		t = old
	} else if len(contextTerms.m) < maxContextTerms {
		contextTerms.m[s] = t
	}
	contextTerms.Unlock()
	return t
}

// nameTerms interns names: argument names and types, event names and object keys, bounded sets
// (the catalog's) seen on every event.
var nameTerms sync.Map

func nameTerm(name string) *ast.Term {
	if t, ok := nameTerms.Load(name); ok {
		return t.(*ast.Term)
	}
	t, _ := nameTerms.LoadOrStore(name, ast.StringTerm(name))
	return t.(*ast.Term)
}

// fieldSet names the input fields a set of modules reads: each top-level field with the keys
// read below it (a nil key set: all of them). A nil fieldSet is the whole input.
type fieldSet map[string]map[string]bool

// union adds the fields of other to s and returns the result (nil: all).
func (s fieldSet) union(other fieldSet) fieldSet {
	if s == nil || other == nil {
		return nil
	}
	for k, sub := range other {
		mine, ok := s[k]
		switch {
		case !ok && sub != nil:
			s[k] = map[string]bool{}
			for n := range sub {
				s[k][n] = true
			}
		case !ok || sub == nil:
			s[k] = nil
		case mine != nil:
			for n := range sub {
				mine[n] = true
			}
		}
	}
	return s
}

// inputShape is the subset of input fields a set of modules reads.
type inputShape struct {
	fields []inputField
	subs   []map[string]bool // per field: the keys to build below it; nil: all
}

// shapeFor returns the fields named in fs; all of them when fs is nil (a module reads the
// whole input document, or a key that cannot be known statically).
func shapeFor(fs fieldSet) inputShape {
	var s inputShape
	for _, f := range inputFields {
		name := string(f.key.Value.(ast.String))
		if sub, ok := fs[name]; ok || fs == nil {
			s.fields, s.subs = append(s.fields, f), append(s.subs, sub)
		}
	}
	return s
}

// value builds the input document for ev.
func (s inputShape) value(ev *trace.Event) ast.Object {
	o := ast.NewObjectWithCapacity(len(s.fields) + 1) // +1: the signature of a finding
	for i, f := range s.fields {
		o.Insert(f.key, f.build(ev, s.subs[i]))
	}
	return o
}

// inputKeys finds the input fields nodes (rules, queries) read, two levels deep
// (input.container.id); nil means "all of them".
func inputKeys(nodes ...interface{}) fieldSet {
	keys := fieldSet{}
	whole := map[string]bool{} // read as a whole, or with a key known only at run time
	all := false
	vis := ast.NewGenericVisitor(func(x interface{}) bool {
		switch t := x.(type) {
		case ast.Ref:
			if len(t) == 0 || !t[0].Equal(ast.InputRootDocument) {
				return false
			}
			top, ok := stringAt(t, 1)
			if !ok {
				all = true
				return true
			}
			if sub, ok := stringAt(t, 2); ok && !whole[top] {
				if keys[top] == nil {
					keys[top] = map[string]bool{}
				}
				keys[top][sub] = true
			} else {
				whole[top] = true
			}
			return true
		case ast.Var:
			if t.Equal(ast.InputRootDocument.Value) {
				all = true
			}
		}
		return false
	})
	for _, n := range nodes {
		vis.Walk(n)
	}
	if all {
		return nil
	}
	for top := range whole {
		keys[top] = nil
	}
	return keys
}

// stringAt is ref[i] when it is a string constant.
func stringAt(ref ast.Ref, i int) (string, bool) {
	if i >= len(ref) {
		return "", false
	}
	s, ok := ref[i].Value.(ast.String)
	return string(s), ok
}

// valueTerm converts an argument value of the types event sources and the JSON decoder produce.
func valueTerm(v interface{}) *ast.Term {
	switch x := v.(type) {
	case nil:
		return ast.InternedNullTerm
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
			o := newObject(nil, 3)
			o.put("name", strTerm(x[i].Name))
			o.put("type", strTerm(x[i].Type))
			o.put("value", valueTerm(x[i].Value))
			terms[i] = o.term()
		}
		return ast.ArrayTerm(terms...)
	}
	// Structs (e.g. trace.SlimCred) and other rare types: OPA's generic conversion.
	if val, err := ast.InterfaceToValue(v); err == nil {
		return ast.NewTerm(val)
	}
	return ast.NullTerm()
}
