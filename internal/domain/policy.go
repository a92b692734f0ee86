package domain

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// MaxPolicies is how many policies can be loaded at once, as in Tracee (one bit each in a uint64).
const MaxPolicies = 64

// Policy is a Tracee v1beta1 policy: a scope saying which workloads it applies to and rules saying
// which events to emit from them, each with optional filters.
type Policy struct {
	Name        string
	Description string
	// Scope filters are ANDed; an empty scope is "global".
	Scope []Filter
	// DefaultActions are kept for compatibility; the only action is to log ("log" or empty).
	DefaultActions []string
	Rules          []PolicyRule
	// Pos locates the policy in its file ("file.yaml:3:1"), for messages.
	Pos string
}

// PolicyRule selects one event (or a set or glob of events) and filters its occurrences.
type PolicyRule struct {
	Event   string
	Filters []Filter // ANDed
	Pos     string
}

// Operator compares an event field with a filter's values.
type Operator string

// The filter operators. "=" and "!=" accept several comma-separated values (= matches any,
// != matches none) and string globs x* *x *x*; the others compare numbers.
const (
	OpEqual        Operator = "="
	OpNotEqual     Operator = "!="
	OpLess         Operator = "<"
	OpGreater      Operator = ">"
	OpLessEqual    Operator = "<="
	OpGreaterEqual Operator = ">="
	// OpPresent is a bare flag field: global, container, not-container, follow.
	OpPresent Operator = ""
)

// Filter is one "field op value[,value...]" expression from a scope or a rule.
type Filter struct {
	Field  string // canonical field: uid, pid, comm, data.pathname, retval ...
	Op     Operator
	Values []string
	Pos    string // "file.yaml:12:11", for messages

	kind   fieldKind
	nums   []int64 // Values parsed, for numeric fields
	arg    string  // argument name for data.<arg>
	number func(*trace.Event) int64
	text   func(*trace.Event) string
}

// String renders the filter as the user wrote it (canonical field name).
func (f Filter) String() string {
	return f.Field + string(f.Op) + strings.Join(f.Values, ",")
}

type fieldKind int

const (
	fieldGlobal fieldKind = iota + 1
	fieldUID
	fieldPID
	fieldMntNS
	fieldPidNS
	fieldTree
	fieldUTS
	fieldComm
	fieldExecutable
	fieldContainer
	fieldNotContainer
	fieldFollow
	fieldData
	fieldRetval
	fieldContextNumber // a numeric event context field (rule filters): Filter.number reads it
	fieldContextString // a string event context field (rule filters): Filter.text reads it
	fieldPIDNew        // pid=new: processes started after the agent
	fieldContainerStarted
)

type fieldSpec struct {
	kind    fieldKind
	numeric bool
	ordered bool // accepts < > <= >=
	flag    bool // may appear bare
	valued  bool // may take a value (flags that cannot: global, not-container, follow)
}

// scopeFields are the scope field names Tracee accepts, with their aliases.
var scopeFields = map[string]fieldSpec{
	"global":        {kind: fieldGlobal, flag: true},
	"uid":           {kind: fieldUID, numeric: true, ordered: true, valued: true},
	"pid":           {kind: fieldPID, numeric: true, ordered: true, valued: true},
	"mntns":         {kind: fieldMntNS, numeric: true, valued: true},
	"pidns":         {kind: fieldPidNS, numeric: true, valued: true},
	"tree":          {kind: fieldTree, numeric: true, valued: true},
	"uts":           {kind: fieldUTS, valued: true},
	"comm":          {kind: fieldComm, valued: true},
	"executable":    {kind: fieldExecutable, valued: true},
	"exec":          {kind: fieldExecutable, valued: true},
	"binary":        {kind: fieldExecutable, valued: true},
	"bin":           {kind: fieldExecutable, valued: true},
	"container":     {kind: fieldContainer, flag: true, valued: true},
	"not-container": {kind: fieldNotContainer, flag: true},
	"follow":        {kind: fieldFollow, flag: true},
}

// ruleOnlyFields are accepted in rule filters besides the scope fields.
var ruleOnlyFields = map[string]fieldSpec{
	"retval": {kind: fieldRetval, numeric: true, ordered: true, valued: true},
}

// contextNumbers and contextStrings are the event context fields Tracee's rule filters accept
// by their JSON names (and short aliases), besides the scope fields.
var contextNumbers = map[string]func(*trace.Event) int64{
	"processId":           func(e *trace.Event) int64 { return int64(e.ProcessID) },
	"threadId":            func(e *trace.Event) int64 { return int64(e.ThreadID) },
	"tid":                 func(e *trace.Event) int64 { return int64(e.ThreadID) },
	"parentProcessId":     func(e *trace.Event) int64 { return int64(e.ParentProcessID) },
	"ppid":                func(e *trace.Event) int64 { return int64(e.ParentProcessID) },
	"hostProcessId":       func(e *trace.Event) int64 { return int64(e.HostProcessID) },
	"hostPid":             func(e *trace.Event) int64 { return int64(e.HostProcessID) },
	"hostThreadId":        func(e *trace.Event) int64 { return int64(e.HostThreadID) },
	"hostTid":             func(e *trace.Event) int64 { return int64(e.HostThreadID) },
	"hostParentProcessId": func(e *trace.Event) int64 { return int64(e.HostParentProcessID) },
	"userId":              func(e *trace.Event) int64 { return int64(e.UserID) },
	"mountNamespace":      func(e *trace.Event) int64 { return int64(e.MountNS) },
	"pidNamespace":        func(e *trace.Event) int64 { return int64(e.PIDNS) },
	"cgroupId":            func(e *trace.Event) int64 { return int64(e.CgroupID) },
}

var contextStrings = map[string]func(*trace.Event) string{
	"processName":    func(e *trace.Event) string { return e.ProcessName },
	"hostName":       func(e *trace.Event) string { return e.HostName },
	"containerId":    containerID,
	"containerImage": func(e *trace.Event) string { return e.Container.ImageName },
	"containerName":  func(e *trace.Event) string { return e.Container.Name },
	"podName":        func(e *trace.Event) string { return e.Kubernetes.PodName },
	"podNamespace":   func(e *trace.Event) string { return e.Kubernetes.PodNamespace },
	"podUid":         func(e *trace.Event) string { return e.Kubernetes.PodUID },
	"syscall":        func(e *trace.Event) string { return e.Syscall },
}

// ScopeFieldNames lists the scope fields, for suggestions.
func ScopeFieldNames() []string {
	out := make([]string, 0, len(scopeFields))
	for k := range scopeFields {
		out = append(out, k)
	}
	return out
}

// PolicyError is a policy mistake with where it is and how to fix it.
type PolicyError struct {
	Pos string // file:line:column, or empty
	Msg string
	Fix string
}

func (e *PolicyError) Error() string {
	s := e.Msg
	if e.Pos != "" {
		s = e.Pos + ": " + s
	}
	if e.Fix != "" {
		s += "; " + e.Fix
	}
	return s
}

// operators in the order they must be tried (two-character ones first).
var operators = []Operator{OpNotEqual, OpLessEqual, OpGreaterEqual, OpEqual, OpLess, OpGreater}

// ParseScopeFilter parses one scope expression such as "uid>=1000", "comm=bash,zsh",
// "container" or "global".
func ParseScopeFilter(expr, pos string) (Filter, error) {
	return parseFilter(expr, pos, false)
}

// ParseRuleFilter parses one rule filter: a scope expression, "data.<arg>op values" or "retval op n".
func ParseRuleFilter(expr, pos string) (Filter, error) {
	return parseFilter(expr, pos, true)
}

func parseFilter(expr, pos string, inRule bool) (Filter, error) {
	expr = strings.TrimSpace(expr)
	field, op, value := splitFilter(expr)
	f := Filter{Field: field, Op: op, Pos: pos}
	if op != OpPresent && (strings.ContainsAny(field[max(0, len(field)-1):], "!<>=~") || strings.ContainsAny(value[:min(1, len(value))], "=~!<>")) {
		return f, &PolicyError{Pos: pos, Msg: fmt.Sprintf("malformed operator in %q", expr),
			Fix: "operators are = != < > <= >= (globs: x* *x *x*); regular expressions (=~) are not supported"}
	}
	if field == "" {
		return f, &PolicyError{Pos: pos, Msg: fmt.Sprintf("filter %q has no field", expr),
			Fix: "write it as field=value, e.g. comm=bash or uid>=1000"}
	}
	if field == "!container" { // Tracee's older spelling
		field, f.Field = "not-container", "not-container"
	}
	spec, ok := scopeFields[field]
	if !ok && inRule {
		spec, ok = ruleOnlyFields[field]
		if get, isNum := contextNumbers[field]; !ok && isNum {
			spec, ok, f.number = fieldSpec{kind: fieldContextNumber, numeric: true, ordered: true, valued: true}, true, get
		}
		if get, isStr := contextStrings[field]; !ok && isStr {
			spec, ok, f.text = fieldSpec{kind: fieldContextString, valued: true}, true, get
		}
		if !ok {
			if name, isData := strings.CutPrefix(field, "data."); isData && name != "" {
				spec, ok, f.arg = fieldSpec{kind: fieldData, ordered: true, valued: true}, true, name
			} else if name, isArgs := strings.CutPrefix(field, "args."); isArgs && name != "" {
				// Tracee before v0.19 wrote args.<name>; accept it as data.<name>.
				spec, ok, f.arg, f.Field = fieldSpec{kind: fieldData, ordered: true, valued: true}, true, name, "data."+name
			}
		}
	}
	if !ok {
		candidates := ScopeFieldNames()
		fix := "scope fields are uid, pid, mntns, pidns, tree, uts, comm, executable, container, not-container, follow, global"
		if inRule {
			candidates = append(candidates, "retval", "data.")
			for k := range contextNumbers {
				candidates = append(candidates, k)
			}
			for k := range contextStrings {
				candidates = append(candidates, k)
			}
			fix += "; rule filters also take data.<argument>, retval and the event's context fields (processName, containerImage, podName ...)"
		}
		if s := Suggest(field, candidates); len(s) > 0 {
			fix = "did you mean " + strings.Join(s, ", ") + "? " + fix
		}
		return f, &PolicyError{Pos: pos, Msg: fmt.Sprintf("unknown field %q in %q", field, expr), Fix: fix}
	}
	if field == "global" && inRule {
		return f, &PolicyError{Pos: pos, Msg: "\"global\" is a scope, not a rule filter", Fix: "move it to spec.scope"}
	}
	f.kind = spec.kind
	switch {
	case op == OpPresent && !spec.flag:
		return f, &PolicyError{Pos: pos, Msg: fmt.Sprintf("%q needs an operator and a value", expr),
			Fix: fmt.Sprintf("write e.g. %s=VALUE", field)}
	case op != OpPresent && !spec.valued:
		return f, &PolicyError{Pos: pos, Msg: fmt.Sprintf("%q takes no value", field),
			Fix: fmt.Sprintf("write just %q", field)}
	case op != OpPresent && op != OpEqual && op != OpNotEqual && !spec.ordered:
		return f, &PolicyError{Pos: pos, Msg: fmt.Sprintf("operator %q is not allowed on %s", op, field),
			Fix: fmt.Sprintf("%s takes only = and !=", field)}
	}
	if op == OpPresent {
		return f, nil
	}
	for _, v := range strings.Split(value, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			return f, &PolicyError{Pos: pos, Msg: fmt.Sprintf("empty value in %q", expr),
				Fix: "give one value, or several separated by commas without empty items"}
		}
		f.Values = append(f.Values, v)
	}
	if (op != OpEqual && op != OpNotEqual) && len(f.Values) > 1 {
		return f, &PolicyError{Pos: pos, Msg: fmt.Sprintf("operator %q takes one value, got %d", op, len(f.Values)),
			Fix: "only = and != accept comma-separated values"}
	}
	if spec.kind == fieldPID && len(f.Values) == 1 && f.Values[0] == "new" {
		if op != OpEqual {
			return f, &PolicyError{Pos: pos, Msg: fmt.Sprintf("%q: new takes only =", expr), Fix: "write pid=new"}
		}
		f.kind = fieldPIDNew
		return f, nil
	}
	if spec.kind == fieldExecutable {
		for i, v := range f.Values {
			if rest, ok := strings.CutPrefix(v, "host:"); ok {
				f.Values[i] = rest // the path as the agent sees it: the task's mount namespace is not checked
				continue
			}
			if ns, path, ok := strings.Cut(v, ":"); ok {
				n, err := strconv.ParseInt(ns, 10, 64)
				if err != nil {
					return f, &PolicyError{Pos: pos, Msg: fmt.Sprintf("executable %q: a prefix before ':' is host or a mount namespace number", v),
						Fix: "write executable=/path, executable=host:/path or executable=MNTNS:/path"}
				}
				f.Values[i] = path
				f.nums = append(f.nums, n)
			}
		}
	}
	if spec.numeric {
		for _, v := range f.Values {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return f, &PolicyError{Pos: pos, Msg: fmt.Sprintf("%s needs a whole number, got %q", field, v),
					Fix: fmt.Sprintf("write e.g. %s=1000", field)}
			}
			f.nums = append(f.nums, n)
		}
	}
	if spec.kind == fieldComm {
		for _, v := range f.Values {
			if len(strings.Trim(v, "*")) > commLen {
				return f, &PolicyError{Pos: pos, Msg: fmt.Sprintf("comm %q is longer than 15 characters, and the kernel keeps only the first 15", v),
					Fix: fmt.Sprintf("write comm=%s, or use executable= with the path", v[:commLen])}
			}
		}
	}
	if spec.kind == fieldContainer && len(f.Values) == 1 && f.Values[0] == "new" {
		return f, &PolicyError{Pos: pos, Msg: "container=new is not supported: this agent does not know when a container started",
			Fix: "use container=started (after its entry point ran) or container (all containers)"}
	}
	if spec.kind == fieldContainer && len(f.Values) == 1 && f.Values[0] == "started" {
		if op != OpEqual {
			return f, &PolicyError{Pos: pos, Msg: "container!=started is not supported (as in Tracee)", Fix: "write container=started"}
		}
		f.kind = fieldContainerStarted
		return f, nil
	}
	if spec.kind == fieldData && op != OpEqual && op != OpNotEqual {
		n, err := strconv.ParseInt(f.Values[0], 10, 64)
		if err != nil {
			return f, &PolicyError{Pos: pos, Msg: fmt.Sprintf("operator %q compares numbers, got %q", op, f.Values[0]),
				Fix: "use = or != (with * globs) for strings"}
		}
		f.nums = []int64{n}
	}
	for _, v := range f.Values {
		inner := strings.TrimSuffix(strings.TrimPrefix(v, "*"), "*")
		if v != "*" && strings.Contains(inner, "*") {
			return f, &PolicyError{Pos: pos, Msg: fmt.Sprintf("unsupported glob %q", v),
				Fix: "globs are prefix (x*), suffix (*x) or contains (*x*)"}
		}
	}
	return f, nil
}

// splitFilter cuts "field op value" at the first operator.
func splitFilter(expr string) (string, Operator, string) {
	best, bestOp := -1, OpPresent
	for _, op := range operators {
		if i := strings.Index(expr, string(op)); i >= 0 && (best < 0 || i < best) {
			best, bestOp = i, op
		}
	}
	if best < 0 {
		return strings.TrimSpace(expr), OpPresent, ""
	}
	// at the same index, the two-character operator wins (they come first in operators)
	for _, op := range operators[:3] {
		if strings.HasPrefix(expr[best:], string(op)) {
			bestOp = op
			break
		}
	}
	return strings.TrimSpace(expr[:best]), bestOp, strings.TrimSpace(expr[best+len(bestOp):])
}

// IsDNS1123 reports whether name is a valid DNS-1123 subdomain (lowercase alphanumerics, '-'
// and '.', starting and ending alphanumeric, at most 253 characters), as Kubernetes names are.
func IsDNS1123(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			alnum := (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
			if !alnum && (c != '-' || i == 0 || i == len(label)-1) {
				return false
			}
		}
	}
	return true
}

// ValidatePolicies checks names, counts and scopes that do not need the catalog.
func ValidatePolicies(policies []Policy) error {
	if len(policies) > MaxPolicies {
		p := policies[MaxPolicies]
		return &PolicyError{Pos: p.Pos, Msg: fmt.Sprintf("%d policies given, at most %d can be loaded", len(policies), MaxPolicies),
			Fix: "merge policies with the same scope or drop some"}
	}
	seen := map[string]string{}
	for _, p := range policies {
		if !IsDNS1123(p.Name) {
			return &PolicyError{Pos: p.Pos, Msg: fmt.Sprintf("policy name %q is not a DNS-1123 name", p.Name),
				Fix: "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"}
		}
		if first, dup := seen[p.Name]; dup {
			return &PolicyError{Pos: p.Pos, Msg: fmt.Sprintf("policy %q is already defined at %s", p.Name, first),
				Fix: "give each policy a unique metadata.name"}
		}
		seen[p.Name] = p.Pos
		if len(p.Rules) == 0 {
			return &PolicyError{Pos: p.Pos, Msg: fmt.Sprintf("policy %q has no rules", p.Name),
				Fix: "add spec.rules with at least one '- event: NAME'"}
		}
		for _, f := range p.Scope {
			if f.kind == fieldGlobal && len(p.Scope) > 1 {
				return &PolicyError{Pos: f.Pos, Msg: "\"global\" cannot be combined with other scopes",
					Fix: "remove global, or remove the other scope entries"}
			}
		}
		events := map[string]string{}
		for _, r := range p.Rules {
			if first, dup := events[r.Event]; dup {
				return &PolicyError{Pos: r.Pos, Msg: fmt.Sprintf("event %q appears twice in policy %q (first at %s)", r.Event, p.Name, first),
					Fix: "an event can be named once per policy: merge the two rules, or put one in another policy"}
			}
			events[r.Event] = r.Pos
		}
		for _, a := range p.DefaultActions {
			if a != "log" {
				return &PolicyError{Pos: p.Pos, Msg: fmt.Sprintf("unknown default action %q", a), Fix: "the only action is log"}
			}
		}
	}
	return nil
}
