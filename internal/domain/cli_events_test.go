package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func cliCatalog() *Catalog {
	sig := func(event, id string, sev int, technique, category string, selects ...string) LoadedSignature {
		var sels []detect.SignatureEventSelector
		for _, s := range selects {
			sels = append(sels, detect.SignatureEventSelector{Source: "tracee", Name: s})
		}
		return LoadedSignature{Info: SignatureInfo{Metadata: detect.SignatureMetadata{ID: id, EventName: event,
			Properties: map[string]interface{}{"Severity": sev, "external_id": technique, "Category": category}}, Selectors: sels}}
	}
	return NewCatalog(SignatureEvents([]LoadedSignature{
		sig("anti_debugging", "TRC-102", 1, "T1622", "defense-evasion", "ptrace"),
		sig("code_injection", "TRC-103", 3, "T1055.008", "defense-evasion", "ptrace"),
		sig("fileless_execution", "TRC-105", 3, "T1620", "defense-evasion", "sched_process_exec"),
		sig("k8s_cert_theft", "TRC-1018", 3, "T1552.004", "credential-access", "security_file_open"),
	}), BaseEvents())
}

func TestEventFlags(t *testing.T) {
	tests := []struct {
		name           string
		events, scopes []string
		wantPlain      []string // nil: a policy is expected
		wantRules      []string // rule events, sorted
		wantFilters    map[string]string
		wantScope      string
	}{
		{name: "plain names need no policy", events: []string{"execve,openat"}, wantPlain: []string{"execve", "openat"}},
		{name: "data filter selects its event", events: []string{"openat.data.pathname=/etc/*"},
			wantRules: []string{"openat"}, wantFilters: map[string]string{"openat": "data.pathname=/etc/*"}},
		{name: "retval and scope filters", events: []string{"openat", "openat.retval<0", "openat.scope.comm=cat"},
			wantRules: []string{"openat"}, wantFilters: map[string]string{"openat": "retval<0 comm=cat"}},
		{name: "exclusion from a list", events: []string{"sched_process_exec,sched_process_exit", "-sched_process_exit"},
			wantRules: []string{"sched_process_exec"}},
		{name: "tag selects a set", events: []string{"tag=proc_life"},
			wantRules: []string{"clone", "clone3", "do_exit", "execve", "execveat", "exit", "exit_group", "fork",
				"sched_process_exit", "security_bprm_check", "vfork", "wait4", "waitid"}},
		{name: "exclusion alone starts from signatures", events: []string{"-anti_debugging"},
			wantRules: []string{"code_injection", "fileless_execution", "k8s_cert_theft"}},
		{name: "threat severity", events: []string{"threat.severity>=high"},
			wantRules: []string{"code_injection", "fileless_execution", "k8s_cert_theft"}},
		{name: "threat technique with sub-techniques", events: []string{"threat.mitre.technique=T1055"},
			wantRules: []string{"code_injection"}},
		{name: "threat tactic by ATT&CK name", events: []string{`threat.mitre.tactic="Credential Access"`},
			wantRules: []string{"k8s_cert_theft"}},
		{name: "scope alone", events: []string{"ptrace"}, scopes: []string{"uid>0", "p=42,43", "comm=bash"},
			wantRules: []string{"ptrace"}, wantScope: "uid>0 pid=42,43 comm=bash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain, p, err := EventFlags(cliCatalog(), tt.events, tt.scopes)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantPlain != nil {
				if p != nil || strings.Join(plain, ",") != strings.Join(tt.wantPlain, ",") {
					t.Fatalf("got %v, %+v", plain, p)
				}
				return
			}
			if p == nil {
				t.Fatal("want a policy")
			}
			var rules []string
			for _, r := range p.Rules {
				rules = append(rules, r.Event)
				var fs []string
				for _, f := range r.Filters {
					fs = append(fs, f.String())
				}
				if want := tt.wantFilters[r.Event]; strings.Join(fs, " ") != want {
					t.Errorf("%s filters = %q, want %q", r.Event, strings.Join(fs, " "), want)
				}
			}
			if strings.Join(rules, ",") != strings.Join(tt.wantRules, ",") {
				t.Errorf("rules = %v, want %v", rules, tt.wantRules)
			}
			var scope []string
			for _, f := range p.Scope {
				scope = append(scope, f.String())
			}
			if strings.Join(scope, " ") != tt.wantScope {
				t.Errorf("scope = %q, want %q", strings.Join(scope, " "), tt.wantScope)
			}
			if _, err := NewPolicySet(cliCatalog(), []Policy{*p}); err != nil {
				t.Errorf("the policy does not compile: %v", err)
			}
		})
	}
}

func TestEventFlags_errors(t *testing.T) {
	tests := []struct {
		events, scopes []string
		want           string
	}{
		{[]string{"openat.data.requst=1"}, nil, `event "openat" has no argument "requst"`},
		{[]string{"opnat.data.pathname=/x"}, nil, `did you mean openat`},
		{[]string{"-nosuchevent"}, nil, `unknown event or set "nosuchevent"`},
		{[]string{"threat.severity>=extreme"}, nil, "severity"},
		{[]string{"threat.colour=red"}, nil, "unknown threat property"},
		{[]string{"ptrace"}, []string{"uid=~0"}, "malformed operator"},
		{[]string{"ptrace", "-ptrace"}, nil, "every selected event is excluded"},
	}
	for _, tt := range tests {
		_, _, err := EventFlags(cliCatalog(), tt.events, tt.scopes)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v %v: got %v, want %q", tt.events, tt.scopes, err, tt.want)
		}
	}
}

// TestEventFlags_policy_matches: the compiled policy filters events as the flags say.
func TestEventFlags_policy_matches(t *testing.T) {
	_, p, err := EventFlags(cliCatalog(), []string{"openat.data.pathname=/etc/*"}, []string{"comm=cat"})
	if err != nil {
		t.Fatal(err)
	}
	set, err := NewPolicySet(cliCatalog(), []Policy{*p})
	if err != nil {
		t.Fatal(err)
	}
	ev := func(comm, path string) *trace.Event {
		return &trace.Event{EventName: "openat", ProcessName: comm,
			Args: []trace.Argument{{ArgMeta: trace.ArgMeta{Name: "pathname", Type: "string"}, Value: path}}}
	}
	for _, tt := range []struct {
		comm, path string
		emit       bool
	}{{"cat", "/etc/shadow", true}, {"cat", "/tmp/x", false}, {"vim", "/etc/shadow", false}} {
		if emit, _ := set.Match(ev(tt.comm, tt.path)); emit != tt.emit {
			t.Errorf("%s %s: emit=%v, want %v", tt.comm, tt.path, emit, tt.emit)
		}
	}
}

// TestScope_special_filters: pid=new, container=started and executable with a host: or mount
// namespace prefix, as Tracee's scope page describes them.
func TestScope_special_filters(t *testing.T) {
	ev := func(mutate func(*trace.Event)) *trace.Event {
		e := &trace.Event{EventName: "ptrace", Executable: trace.File{Path: "/usr/bin/ls"}, MountNS: 4026532448}
		mutate(e)
		return e
	}
	tests := []struct {
		scope string
		ev    *trace.Event
		emit  bool
	}{
		{"pid=new", ev(func(e *trace.Event) { e.ThreadStartTime = int(time.Now().Add(time.Hour).UnixNano()) }), true},
		{"pid=new", ev(func(e *trace.Event) { e.ThreadStartTime = 1 }), false},
		{"container=started", ev(func(e *trace.Event) { e.ContextFlags.ContainerStarted = true; e.ContainerID = "abc" }), true},
		{"container=started", ev(func(e *trace.Event) { e.ContainerID = "abc" }), false},
		{"executable=host:/usr/bin/ls", ev(func(*trace.Event) {}), true},
		{"executable=4026532448:/usr/bin/ls", ev(func(*trace.Event) {}), true},
		{"executable=4026531840:/usr/bin/ls", ev(func(*trace.Event) {}), false},
	}
	for _, tt := range tests {
		t.Run(tt.scope, func(t *testing.T) {
			_, p, err := EventFlags(cliCatalog(), []string{"ptrace"}, []string{tt.scope})
			if err != nil {
				t.Fatal(err)
			}
			set, err := NewPolicySet(cliCatalog(), []Policy{*p})
			if err != nil {
				t.Fatal(err)
			}
			if emit, _ := set.Match(tt.ev); emit != tt.emit {
				t.Errorf("emit=%v, want %v", emit, tt.emit)
			}
		})
	}
	for _, bad := range []string{"container=new", "pid!=new", "container!=started", "executable=x:/bin/ls"} {
		if _, _, err := EventFlags(cliCatalog(), []string{"ptrace"}, []string{bad}); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
