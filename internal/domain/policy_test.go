package domain

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func mustScope(t *testing.T, exprs ...string) []Filter {
	t.Helper()
	var out []Filter
	for _, e := range exprs {
		f, err := ParseScopeFilter(e, "")
		if err != nil {
			t.Fatalf("scope %q: %v", e, err)
		}
		out = append(out, f)
	}
	return out
}

func mustRule(t *testing.T, event string, exprs ...string) PolicyRule {
	t.Helper()
	r := PolicyRule{Event: event, Pos: "test:" + event}
	for _, e := range exprs {
		f, err := ParseRuleFilter(e, "")
		if err != nil {
			t.Fatalf("filter %q: %v", e, err)
		}
		r.Filters = append(r.Filters, f)
	}
	return r
}

func TestParseFilter_rejects_bad_expressions(t *testing.T) {
	tests := []struct {
		name, expr string
		rule       bool
		wantErr    string
	}{
		{name: "unknown field suggests", expr: "uidd=1", wantErr: `did you mean uid`},
		{name: "ordered op on string", expr: "comm>bash", wantErr: `operator ">" is not allowed on comm`},
		{name: "ordered op on mntns", expr: "mntns<5", wantErr: `takes only = and !=`},
		{name: "not a number", expr: "uid=root", wantErr: "needs a whole number"},
		{name: "empty value", expr: "comm=bash,", wantErr: "empty value"},
		{name: "value on flag", expr: "follow=1", wantErr: "takes no value"},
		{name: "bare valued field", expr: "uid", wantErr: "needs an operator"},
		{name: "two values with <", expr: "uid<1,2", wantErr: "takes one value"},
		{name: "retval only in rules", expr: "retval<0", wantErr: "unknown field"},
		{name: "context fields only in rules", expr: "processName=bash", wantErr: "unknown field"},
		{name: "string context field is not ordered", expr: "podName>a", rule: true, wantErr: "not allowed on podName"},
		{name: "data only in rules", expr: "data.pathname=/x", wantErr: "unknown field"},
		{name: "global in rule", expr: "global", rule: true, wantErr: "not a rule filter"},
		{name: "string compared with <", expr: "data.pathname<abc", rule: true, wantErr: "compares numbers"},
		{name: "bad glob", expr: "comm=a*b", wantErr: "unsupported glob"},
		{name: "double star", expr: "comm=**sh", wantErr: "unsupported glob"},
		{name: "comm too long", expr: "comm=a-very-long-command-name", wantErr: "write comm=a-very-long-com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.rule {
				_, err = ParseRuleFilter(tt.expr, "f.yaml:3:7")
			} else {
				_, err = ParseScopeFilter(tt.expr, "f.yaml:3:7")
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "f.yaml:3:7: ") {
				t.Fatalf("err %q does not start with the position", err)
			}
		})
	}
}

func TestParseFilter_accepts_every_operator(t *testing.T) {
	tests := []struct {
		expr  string
		field string
		op    Operator
		vals  int
	}{
		{"uid=0,1000", "uid", OpEqual, 2},
		{"uid!=0", "uid", OpNotEqual, 1},
		{"uid<1000", "uid", OpLess, 1},
		{"uid>1000", "uid", OpGreater, 1},
		{"uid<=1000", "uid", OpLessEqual, 1},
		{"uid>=1000", "uid", OpGreaterEqual, 1},
		{"comm=bash,*sh", "comm", OpEqual, 2},
		{"container", "container", OpPresent, 0},
		{"!container", "not-container", OpPresent, 0},
		{"data.pathname=/etc/*", "data.pathname", OpEqual, 1},
		{"args.pathname!=*shadow*", "data.pathname", OpNotEqual, 1},
		{"retval<0", "retval", OpLess, 1},
		{"data.fd>=3", "data.fd", OpGreaterEqual, 1},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			f, err := ParseRuleFilter(tt.expr, "")
			if err != nil {
				t.Fatal(err)
			}
			if f.Field != tt.field || f.Op != tt.op || len(f.Values) != tt.vals {
				t.Fatalf("got %s %q %v", f.Field, f.Op, f.Values)
			}
		})
	}
}

func TestValidatePolicies(t *testing.T) {
	ok := func(name string) Policy {
		return Policy{Name: name, Pos: name + ".yaml:1:1", Rules: []PolicyRule{{Event: "ptrace"}}}
	}
	many := make([]Policy, 65)
	for i := range many {
		many[i] = ok(fmt.Sprintf("p%d", i))
	}
	tests := []struct {
		name     string
		policies []Policy
		wantErr  string
	}{
		{name: "valid", policies: []Policy{ok("a"), ok("b.c-d")}},
		{name: "too many", policies: many, wantErr: "at most 64"},
		{name: "bad name", policies: []Policy{ok("Bad_Name")}, wantErr: "not a DNS-1123"},
		{name: "duplicate", policies: []Policy{ok("a"), ok("a")}, wantErr: "already defined at a.yaml:1:1"},
		{name: "no rules", policies: []Policy{{Name: "a"}}, wantErr: "has no rules"},
		{name: "global with others", policies: []Policy{{Name: "a", Rules: []PolicyRule{{Event: "x"}},
			Scope: mustScope(t, "global", "uid=0")}}, wantErr: "cannot be combined"},
		{name: "event twice", policies: []Policy{{Name: "a", Rules: []PolicyRule{{Event: "x"}, {Event: "x"}}}}, wantErr: "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidatePolicies(tt.policies)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func policyCatalog() *Catalog {
	sig := LoadedSignature{Info: SignatureInfo{
		Metadata:  detect.SignatureMetadata{ID: "TRC-102", EventName: "anti_debugging"},
		Selectors: []detect.SignatureEventSelector{{Source: "tracee", Name: "ptrace"}},
	}}
	return NewCatalog(SignatureEvents([]LoadedSignature{sig}), BaseEvents())
}

func TestSelectWithPolicies(t *testing.T) {
	cat := policyCatalog()
	sel, err := SelectWithPolicies(cat, []Policy{{Name: "a", Rules: []PolicyRule{{Event: "anti_debugging"}, {Event: "setuid"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if !sel.Emit["anti_debugging"] || !sel.Emit["setuid"] || sel.Emit["ptrace"] {
		t.Errorf("Emit = %v", sel.Emit)
	}
	if !sel.Need["ptrace"] || !sel.Need["setuid"] || len(sel.Need) != 2 {
		t.Errorf("Need = %v", sel.Need)
	}
	if !sel.Signatures["anti_debugging"] || len(sel.Signatures) != 1 {
		t.Errorf("Signatures = %v", sel.Signatures)
	}

	_, err = SelectWithPolicies(cat, []Policy{{Name: "a", Rules: []PolicyRule{{Event: "anti_debuging", Pos: "p.yaml:9:14"}}}})
	var pe *PolicyError
	if !errors.As(err, &pe) || pe.Pos != "p.yaml:9:14" || !strings.Contains(err.Error(), "did you mean anti_debugging") {
		t.Fatalf("err = %v", err)
	}

	if sel, _ := SelectWithPolicies(cat, nil); !sel.Signatures["anti_debugging"] {
		t.Errorf("no policies should select every signature, got %v", sel.Signatures)
	}
	if err := CheckEventsWithPolicies([]string{"ptrace"}, nil, 1); !errors.Is(err, ErrEventsWithPolicies) {
		t.Errorf("events with policies: %v", err)
	}
}

func event(name string, mutate ...func(*trace.Event)) *trace.Event {
	ev := &trace.Event{EventName: name, UserID: 1000, HostProcessID: 100, HostParentProcessID: 1,
		ProcessName: "bash", Executable: trace.File{Path: "/usr/bin/bash"}, MountNS: 4026531840, PIDNS: 4026531836,
		HostName: "box", ReturnValue: -1,
		Args: []trace.Argument{
			{ArgMeta: trace.ArgMeta{Name: "pathname", Type: "string"}, Value: "/etc/shadow"},
			{ArgMeta: trace.ArgMeta{Name: "flags", Type: "int32"}, Value: int32(2)},
			{ArgMeta: trace.ArgMeta{Name: "argv", Type: "[]string"}, Value: []string{"cat", "/etc/passwd"}},
		}}
	for _, m := range mutate {
		m(ev)
	}
	return ev
}

// TestPolicySet_refuses_unknown_arguments: a data filter on an argument the event does not have
// could never match; it is refused with its position and the nearest argument.
func TestPolicySet_refuses_unknown_arguments(t *testing.T) {
	tests := []struct{ event, filter, want string }{
		{"openat", "data.requst=0", `event "openat" has no argument "requst"`},
		{"openat", "data.pathnme=/etc/*", "did you mean data.pathname?"},
		{"setuid", "data.nope!=x", `event "setuid" has no argument "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			_, err := NewPolicySet(policyCatalog(), []Policy{{Name: "p", Rules: []PolicyRule{mustRule(t, tt.event, tt.filter)}}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestParseRuleFilter_refuses_malformed_operators: =~ and doubled operators are not silently read
// as a value starting with ~ or a field ending with !.
func TestParseRuleFilter_refuses_malformed_operators(t *testing.T) {
	for _, expr := range []string{"data.pathname=~/etc", "data.flags!!=1", "data.flags==1", "data.flags=>1", "retval<>0"} {
		if _, err := ParseRuleFilter(expr, "p.yaml:3:5"); err == nil || !strings.Contains(err.Error(), "malformed operator") ||
			!strings.HasPrefix(err.Error(), "p.yaml:3:5") {
			t.Errorf("%s: got %v", expr, err)
		}
	}
}

func TestPolicySet_Match(t *testing.T) {
	cat := policyCatalog()
	tests := []struct {
		name         string
		scope        []string
		rule         PolicyRule
		ev           *trace.Event
		emit, dispat bool
	}{
		{name: "global emits named event", rule: mustRule(t, "setuid"), ev: event("setuid"), emit: true, dispat: true},
		{name: "unnamed event dropped", rule: mustRule(t, "setuid"), ev: event("setgid")},
		{name: "uid scope matches", scope: []string{"uid>=1000"}, rule: mustRule(t, "setuid"), ev: event("setuid"), emit: true, dispat: true},
		{name: "uid scope misses", scope: []string{"uid<1000"}, rule: mustRule(t, "setuid"), ev: event("setuid")},
		{name: "comm list", scope: []string{"comm=zsh,bash"}, rule: mustRule(t, "setuid"), ev: event("setuid"), emit: true, dispat: true},
		{name: "comm suffix glob", scope: []string{"comm=*sh"}, rule: mustRule(t, "setuid"), ev: event("setuid"), emit: true, dispat: true},
		{name: "comm != list", scope: []string{"comm!=zsh,bash"}, rule: mustRule(t, "setuid"), ev: event("setuid")},
		{name: "executable prefix", scope: []string{"executable=/usr/bin/*"}, rule: mustRule(t, "setuid"), ev: event("setuid"), emit: true, dispat: true},
		{name: "not-container on host", scope: []string{"not-container"}, rule: mustRule(t, "setuid"), ev: event("setuid"), emit: true, dispat: true},
		{name: "container on host", scope: []string{"container"}, rule: mustRule(t, "setuid"), ev: event("setuid")},
		{name: "container id prefix", scope: []string{"container=abcdef123456"}, rule: mustRule(t, "setuid"),
			ev: event("setuid", func(e *trace.Event) { e.Container.ID = "abcdef1234567890" }), emit: true, dispat: true},
		{name: "mntns", scope: []string{"mntns=4026531840"}, rule: mustRule(t, "setuid"), ev: event("setuid"), emit: true, dispat: true},
		{name: "pidns miss", scope: []string{"pidns=1"}, rule: mustRule(t, "setuid"), ev: event("setuid")},
		{name: "uts", scope: []string{"uts=box"}, rule: mustRule(t, "setuid"), ev: event("setuid"), emit: true, dispat: true},
		{name: "data contains", rule: mustRule(t, "openat", "data.pathname=*shadow*"), ev: event("openat"), emit: true, dispat: true},
		{name: "data != prefix", rule: mustRule(t, "openat", "data.pathname!=/etc/*"), ev: event("openat"), dispat: true},
		{name: "data number", rule: mustRule(t, "openat", "data.flags>1"), ev: event("openat"), emit: true, dispat: true},
		{name: "data number equal", rule: mustRule(t, "openat", "data.flags=2"), ev: event("openat"), emit: true, dispat: true},
		{name: "data list any", rule: mustRule(t, "execve", "data.argv=/etc/passwd"), ev: event("execve"), emit: true, dispat: true},
		{name: "retval", rule: mustRule(t, "setuid", "retval<0"), ev: event("setuid"), emit: true, dispat: true},
		{name: "rule scope filter", rule: mustRule(t, "setuid", "comm=cat"), ev: event("setuid"), dispat: true},
		{name: "rule context number", rule: mustRule(t, "setuid", "hostParentProcessId=1", "userId>=1000"), ev: event("setuid"), emit: true, dispat: true},
		{name: "rule context string", rule: mustRule(t, "setuid", "containerImage=alpine*"), ev: event("setuid", func(e *trace.Event) { e.Container.ImageName = "alpine:3.20" }), emit: true, dispat: true},
		{name: "rule context string miss", rule: mustRule(t, "setuid", "processName!=bash"), ev: event("setuid"), dispat: true},
		{name: "signature dependency dispatched, not emitted", rule: mustRule(t, "anti_debugging"), ev: event("ptrace"), dispat: true},
		{name: "dependency outside scope not dispatched", scope: []string{"comm=gdb"}, rule: mustRule(t, "anti_debugging"), ev: event("ptrace")},
		{name: "signature event emitted", rule: mustRule(t, "anti_debugging"), ev: event("anti_debugging"), emit: true, dispat: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := NewPolicySet(cat, []Policy{{Name: "p", Scope: mustScope(t, tt.scope...), Rules: []PolicyRule{tt.rule}}})
			if err != nil {
				t.Fatal(err)
			}
			emit, dispatch := set.Match(tt.ev)
			if emit != tt.emit || dispatch != tt.dispat {
				t.Fatalf("Match = %v, %v; want %v, %v", emit, dispatch, tt.emit, tt.dispat)
			}
			if emit && (len(tt.ev.MatchedPolicies) != 1 || tt.ev.MatchedPolicies[0] != "p" || tt.ev.MatchedPoliciesUser != 1) {
				t.Fatalf("MatchedPolicies = %v (%b)", tt.ev.MatchedPolicies, tt.ev.MatchedPoliciesUser)
			}
		})
	}
}

func TestPolicySet_Match_lists_every_matching_policy(t *testing.T) {
	cat := policyCatalog()
	set, err := NewPolicySet(cat, []Policy{
		{Name: "root", Scope: mustScope(t, "uid=0"), Rules: []PolicyRule{mustRule(t, "setuid")}},
		{Name: "users", Scope: mustScope(t, "uid>=1000"), Rules: []PolicyRule{mustRule(t, "setuid")}},
		{Name: "bash", Scope: mustScope(t, "comm=bash"), Rules: []PolicyRule{mustRule(t, "setuid"), mustRule(t, "setgid")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := event("setuid")
	if emit, _ := set.Match(ev); !emit || strings.Join(ev.MatchedPolicies, ",") != "users,bash" || ev.MatchedPoliciesUser != 0b110 {
		t.Fatalf("emit=%v matched=%v bits=%b", emit, ev.MatchedPolicies, ev.MatchedPoliciesUser)
	}
}

func TestPolicySet_Match_tree_and_follow(t *testing.T) {
	cat := policyCatalog()
	set, err := NewPolicySet(cat, []Policy{
		{Name: "tree", Scope: mustScope(t, "tree=50"), Rules: []PolicyRule{mustRule(t, "setuid")}},
		{Name: "follow", Scope: mustScope(t, "comm=sshd", "follow"), Rules: []PolicyRule{mustRule(t, "setgid")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !set.NeedsProcessTree() {
		t.Fatal("tree and follow need the process tree")
	}
	withPids := func(name string, pid, ppid int, comm string) *trace.Event {
		return event(name, func(e *trace.Event) { e.HostProcessID, e.HostParentProcessID, e.ProcessName = pid, ppid, comm })
	}
	set.Match(withPids("sched_process_exec", 60, 50, "sh"))
	if emit, _ := set.Match(withPids("setuid", 70, 60, "id")); !emit {
		t.Error("grandchild of 50 should be in tree=50")
	}
	if emit, _ := set.Match(withPids("setuid", 71, 2, "id")); emit {
		t.Error("pid 71 is not in tree=50")
	}
	if emit, _ := set.Match(withPids("setgid", 200, 1, "sshd")); !emit {
		t.Error("sshd matches the scope")
	}
	if emit, _ := set.Match(withPids("setgid", 201, 200, "bash")); !emit {
		t.Error("child of sshd should be followed")
	}
	if emit, _ := set.Match(withPids("setgid", 202, 201, "id")); !emit {
		t.Error("grandchild of sshd should be followed")
	}
	if emit, _ := set.Match(withPids("setgid", 300, 1, "bash")); emit {
		t.Error("unrelated bash is not followed")
	}
}

func TestPolicySet_Match_without_policies_passes_everything(t *testing.T) {
	var set *PolicySet
	ev := event("setuid")
	if emit, dispatch := set.Match(ev); !emit || !dispatch || ev.MatchedPolicies != nil {
		t.Fatal("a nil set must pass events through untouched")
	}
}

func BenchmarkPolicySet_Match(b *testing.B) {
	cat := policyCatalog()
	var policies []Policy
	for i := 0; i < 8; i++ {
		f, _ := ParseScopeFilter(fmt.Sprintf("uid>=%d", i*100), "")
		r, _ := ParseRuleFilter("data.pathname=/etc/*", "")
		policies = append(policies, Policy{Name: fmt.Sprintf("p%d", i), Scope: []Filter{f},
			Rules: []PolicyRule{{Event: "setuid", Filters: []Filter{r}}, {Event: "anti_debugging"}}})
	}
	set, err := NewPolicySet(cat, policies)
	if err != nil {
		b.Fatal(err)
	}
	ev := event("setuid")
	b.ReportAllocs()
	for b.Loop() {
		set.Match(ev)
	}
}

func TestPolicySet_Describe(t *testing.T) {
	set, err := NewPolicySet(policyCatalog(), []Policy{
		{Name: "sec", Rules: []PolicyRule{mustRule(t, "anti_debugging"), mustRule(t, "setg*", "uid=0")}},
		{Name: "users", Scope: mustScope(t, "uid>=1000", "comm=bash"), Rules: []PolicyRule{mustRule(t, "setuid")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := set.Describe()
	if len(d) != 2 {
		t.Fatal(d)
	}
	sec := d[0]
	if strings.Join(sec.Scope, " ") != "global" || strings.Join(sec.Signatures, ",") != "anti_debugging" ||
		strings.Join(sec.Needs, ",") != "ptrace,setgid,setgroups" || strings.Join(sec.Emits, ",") != "anti_debugging,setgid,setgroups" ||
		strings.Join(sec.Rules[1].Resolved, ",") != "setgid,setgroups" || strings.Join(sec.Rules[1].Filters, ",") != "uid=0" {
		t.Errorf("sec = %+v", sec)
	}
	if got := d[1].String(); got != "users [uid>=1000 comm=bash] -> setuid" {
		t.Errorf("users = %q", got)
	}
}

func TestPolicySet_KernelScope_is_a_superset_of_Match(t *testing.T) {
	set, err := NewPolicySet(policyCatalog(), []Policy{
		{Name: "users", Scope: mustScope(t, "uid>=1000", "uid<2000"), Rules: []PolicyRule{mustRule(t, "setuid")}},
		{Name: "bash", Scope: mustScope(t, "comm=bash,zsh", "not-container"), Rules: []PolicyRule{mustRule(t, "setuid"), mustRule(t, "anti_debugging")}},
		{Name: "not-root", Scope: mustScope(t, "uid!=0", "mntns=4026531840"), Rules: []PolicyRule{mustRule(t, "setgid")}},
		{Name: "glob", Scope: mustScope(t, "comm=*sh", "container"), Rules: []PolicyRule{mustRule(t, "setuid")}},
		{Name: "follow", Scope: mustScope(t, "comm=sshd", "follow"), Rules: []PolicyRule{mustRule(t, "setgid")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ks := set.KernelScope()
	tests := []struct {
		name  string
		event string
		task  KernelTask
		want  uint64
	}{
		{"user in range", "setuid", KernelTask{UID: 1500, Comm: "id"}, 0b00001},
		{"user out of range", "setuid", KernelTask{UID: 2500, Comm: "id"}, 0},
		{"bash on host", "setuid", KernelTask{UID: 0, Comm: "bash"}, 0b00010},
		{"bash in a container: glob policy passes the kernel", "setuid", KernelTask{UID: 0, Comm: "bash", InContainer: true}, 0b01000},
		{"signature dependency", "ptrace", KernelTask{Comm: "zsh"}, 0b00010},
		{"dependency out of scope", "ptrace", KernelTask{Comm: "vim"}, 0},
		{"root excluded", "setgid", KernelTask{UID: 0, MntNS: 4026531840}, 0b10000},
		{"not root, host mntns", "setgid", KernelTask{UID: 5, MntNS: 4026531840}, 0b10100},
		{"event no policy needs", "kill", KernelTask{UID: 1500}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ks.Matched(tt.event, tt.task); got != tt.want {
				t.Fatalf("Matched = %05b, want %05b", got, tt.want)
			}
			// whatever userspace emits or dispatches, the kernel must have let through
			ev := &trace.Event{EventName: tt.event, UserID: int(tt.task.UID), HostProcessID: int(tt.task.PID) + 10,
				MountNS: int(tt.task.MntNS), PIDNS: int(tt.task.PidNS), ProcessName: tt.task.Comm}
			if tt.task.InContainer {
				ev.Container.ID = "abc"
			}
			if emit, dispatch := set.Match(ev); (emit || dispatch) && ks.Matched(tt.event, tt.task) == 0 {
				t.Fatalf("the kernel would drop an event userspace keeps")
			}
		})
	}
}

func TestCheckReload(t *testing.T) {
	cat := policyCatalog()
	mk := func(events ...string) *PolicySet {
		var rules []PolicyRule
		for _, e := range events {
			rules = append(rules, mustRule(t, e))
		}
		set, err := NewPolicySet(cat, []Policy{{Name: "p", Rules: rules}})
		if err != nil {
			t.Fatal(err)
		}
		return set
	}
	running := mk("anti_debugging", "setuid")
	if err := CheckReload(running, mk("setuid")); err != nil {
		t.Errorf("a subset must reload: %v", err)
	}
	if err := CheckReload(running, mk("ptrace")); err != nil {
		t.Errorf("ptrace is produced for anti_debugging already: %v", err)
	}
	if err := CheckReload(running, mk("setgid")); err == nil || !strings.Contains(err.Error(), "restart") {
		t.Errorf("a new base event needs a restart: %v", err)
	}
}

func TestPolicySet_follow_adopts_forked_children(t *testing.T) {
	set, err := NewPolicySet(policyCatalog(), []Policy{
		{Name: "follow", Scope: mustScope(t, "comm=sshd", "follow"), Rules: []PolicyRule{mustRule(t, "setgid")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if sel := set.Selection(); !sel.Need["sched_process_fork"] || sel.Emit["sched_process_fork"] {
		t.Fatalf("follow needs forks without emitting them: %+v", sel)
	}
	ev := func(name string, pid, ppid int, comm string, args ...trace.Argument) *trace.Event {
		return &trace.Event{EventName: name, HostProcessID: pid, HostParentProcessID: ppid, ProcessName: comm, Args: args}
	}
	set.Match(ev("setgid", 200, 1, "sshd"))
	set.Match(ev("sched_process_fork", 200, 1, "sshd", trace.Argument{ArgMeta: trace.ArgMeta{Name: "child_pid"}, Value: int32(201)}))
	set.Match(ev("sched_process_fork", 201, 200, "sshd", trace.Argument{ArgMeta: trace.ArgMeta{Name: "child_pid"}, Value: int32(202)}))
	if emit, _ := set.Match(ev("setgid", 202, 201, "id")); !emit {
		t.Fatal("a grandchild known only from forks must be followed")
	}
	if emit, _ := set.Match(ev("sched_process_fork", 200, 1, "sshd")); emit {
		t.Fatal("fork events are not emitted")
	}
}

func TestPolicies_Replace_while_matching(t *testing.T) {
	cat := policyCatalog()
	mk := func(name, scope string) *PolicySet {
		set, err := NewPolicySet(cat, []Policy{{Name: name, Scope: mustScope(t, scope), Rules: []PolicyRule{mustRule(t, "setuid")}}})
		if err != nil {
			t.Fatal(err)
		}
		return set
	}
	p := NewPolicies(mk("v0", "uid>=0"))
	if err := p.Replace(mk("v1", "uid>=0")); err != nil {
		t.Fatal(err)
	}
	other, _ := NewPolicySet(cat, []Policy{{Name: "x", Rules: []PolicyRule{mustRule(t, "kill")}}})
	if err := p.Replace(other); err == nil {
		t.Fatal("a set needing another event must be refused")
	}
	if err := NewPolicies(nil).Replace(mk("v1", "uid>=0")); err == nil {
		t.Fatal("adding policies needs a restart")
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 2; i < 200; i++ {
			if err := p.Replace(mk(fmt.Sprintf("v%d", i), "uid>=0")); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	matched := 0
	for i := 0; i < 20000; i++ {
		ev := event("setuid")
		if emit, _ := p.Match(ev); emit && len(ev.MatchedPolicies) == 1 {
			matched++
		}
	}
	<-done
	if matched != 20000 {
		t.Fatalf("%d of 20000 events matched exactly one policy version", matched)
	}
}

// TestKernelScope_never_drops_what_Match_keeps tries many random scopes and tasks: whenever
// userspace would emit or dispatch an event, the kernel computation must have let it through.
func TestKernelScope_never_drops_what_Match_keeps(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	scopes := []string{"uid=0", "uid!=0", "uid>=1000", "uid<1000", "uid<=5", "uid>5", "pid=100,200", "pid!=100",
		"mntns=1", "mntns!=1", "pidns=2", "comm=bash", "comm!=bash", "comm=*sh", "comm!=*sh", "comm=a-very-long-com",
		"container", "not-container", "executable=/usr/bin/*", "uts=box", "follow", "tree=1"}
	comms := []string{"bash", "zsh", "sh", "cat", "a-very-long-com"}
	cat := policyCatalog()
	for round := 0; round < 300; round++ {
		var policies []Policy
		for i := 0; i < 1+rng.IntN(5); i++ {
			var sc []string
			used := map[string]bool{}
			for j := 0; j < rng.IntN(3); j++ {
				s := scopes[rng.IntN(len(scopes))]
				field, _, _ := splitFilter(s)
				if !used[field] {
					used[field] = true
					sc = append(sc, s)
				}
			}
			events := []string{"setuid", "anti_debugging", "setgid"}
			policies = append(policies, Policy{Name: fmt.Sprintf("p%d", i), Scope: mustScope(t, sc...),
				Rules: []PolicyRule{mustRule(t, events[rng.IntN(len(events))])}})
		}
		set, err := NewPolicySet(cat, policies)
		if err != nil {
			t.Fatal(err)
		}
		ks := set.KernelScope()
		for k := 0; k < 50; k++ {
			task := KernelTask{UID: uint64(rng.IntN(2000)), PID: uint64([]int{100, 200, 300}[rng.IntN(3)]),
				MntNS: uint64(rng.IntN(3)), PidNS: uint64(rng.IntN(3)), Comm: comms[rng.IntN(len(comms))], InContainer: rng.IntN(2) == 0}
			name := []string{"setuid", "setgid", "ptrace", "kill"}[rng.IntN(4)]
			ev := &trace.Event{EventName: name, UserID: int(task.UID), HostProcessID: int(task.PID), HostParentProcessID: 1,
				MountNS: int(task.MntNS), PIDNS: int(task.PidNS), ProcessName: task.Comm, HostName: "box",
				Executable: trace.File{Path: "/usr/bin/x"}}
			if task.InContainer {
				ev.Container.ID = "abc"
			}
			emit, dispatch := set.Match(ev)
			if (emit || dispatch) && ks.Matched(name, task) == 0 {
				t.Fatalf("round %d: kernel drops %s from %+v that userspace keeps; policies %+v", round, name, task, set.Describe())
			}
		}
	}
}
