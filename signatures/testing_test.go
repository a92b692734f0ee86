package signatures

import (
	"strings"
	"testing"

	"github.com/seed-428f5ad7/tracee/internal/domain"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// sigCase is one row of a signature's table test: events in, how many findings out, and data
// entries the last finding must carry.
type sigCase struct {
	name     string
	events   []trace.Event
	findings int
	data     map[string]interface{}
}

func arg(name string, v interface{}) trace.Argument {
	return trace.Argument{ArgMeta: trace.ArgMeta{Name: name}, Value: v}
}

func event(name string, args ...trace.Argument) trace.Event {
	return trace.Event{EventName: name, ProcessName: "proc", ProcessID: 100, HostProcessID: 100,
		HostParentProcessID: 1, Args: args, ArgsNum: len(args)}
}

// withProc sets the process name and host PID of an event, and its executable to /usr/bin/comm
// (a program of the distribution, as the allow-lists require).
func withProc(ev trace.Event, comm string, pid int) trace.Event {
	ev.ProcessName, ev.HostProcessID, ev.ProcessID, ev.HostThreadID, ev.ThreadID = comm, pid, pid, pid, pid
	ev.Executable.Path = "/usr/bin/" + comm
	return ev
}

// withExe sets the executable the kernel ran, leaving comm alone (a renamed or copied program).
func withExe(ev trace.Event, path string) trace.Event {
	ev.Executable.Path = path
	return ev
}

func containerized(ev trace.Event) trace.Event {
	ev.Container = trace.Container{ID: "c0ffee", Name: "web"}
	ev.ContainerID = "c0ffee"
	ev.ContextFlags.ContainerStarted = true
	return ev
}

func openEvent(path string, flags int32) trace.Event {
	return event("security_file_open", arg("pathname", path), arg("flags", flags), arg("dev", uint32(0)),
		arg("inode", uint64(1)), arg("ctime", uint64(0)), arg("syscall_pathname", path))
}

func execEvent(path string, argv, env []string) trace.Event {
	return event("sched_process_exec", arg("cmdpath", path), arg("pathname", path), arg("argv", argv),
		arg("stdin_type", uint16(0o020000)), arg("stdin_path", "/dev/pts/0"), arg("env", env))
}

func renameEvent(oldPath, newPath string) trace.Event {
	return event("security_inode_rename", arg("old_path", oldPath), arg("new_path", newPath))
}

// collect runs events through a freshly initialised signature and returns its findings.
func collect(t testing.TB, sig detect.Signature, events []trace.Event) []*detect.Finding {
	t.Helper()
	var got []*detect.Finding
	if err := sig.Init(detect.SignatureContext{Callback: func(f *detect.Finding) { got = append(got, f) }}); err != nil {
		t.Fatalf("Init: %v", err)
	}
	seen := map[fileID]string{}
	for _, ev := range events {
		before := len(got)
		if err := sig.OnEvent(ev.ToProtocol()); err != nil {
			t.Fatalf("OnEvent(%s): %v", ev.EventName, err)
		}
		if ev.EventName == evFileOpen {
			checkOpenInterest(t, sig, &ev, len(got) > before, seen)
		}
		if ev.EventName == "magic_write" {
			checkMagicInterest(t, sig, &ev, len(got) > before)
		}
	}
	return got
}

// checkOpenInterest fails a test whose security_file_open made the signature fire although the
// kernel prefilter built from the signature's declared interest would have dropped it.
func checkOpenInterest(t testing.TB, sig detect.Signature, ev *trace.Event, fired bool, seen map[fileID]string) {
	t.Helper()
	p, flags, _ := fileOpenArgs(ev)
	raw, _ := stringArg(ev, "syscall_pathname")
	dev, _ := trace.ArgVal[uint32](ev.Args, "dev")
	inode, _ := trace.ArgVal[uint64](ev.Args, "inode")
	id := fileID{dev, inode}
	// openEvent gives every file inode 1; a test that sets another inode models links (to a file
	// seen earlier, or one the signature found at Init), so the file counts as linked unless the
	// same path was seen with it before.
	other, known := seen[id]
	linked := inode > 1 && other != p
	if inode > 1 && !known {
		seen[id] = p
	}
	if !fired {
		return
	}
	oi, ok := sig.(domain.OpenInterested)
	if !ok {
		return
	}
	interest, declared := oi.OpenInterest()
	facts := domain.OpenFacts{Path: p, Raw: raw, Flags: flags, Linked: linked,
		Namespace: strings.HasPrefix(p, "/proc/") && strings.Contains(p, "/ns/")}
	if declared && !interest.Admits(facts) {
		t.Errorf("the signature fired on %+v, which its declared OpenInterest %+v drops in the kernel", facts, interest)
	}
}

// checkMagicInterest fails a test whose magic_write made the signature fire although the kernel
// prefilter built from the signature's declared interest would have dropped it.
func checkMagicInterest(t testing.TB, sig detect.Signature, ev *trace.Event, fired bool) {
	t.Helper()
	mi, ok := sig.(domain.MagicInterested)
	if !fired || !ok {
		return
	}
	b, _ := ev.GetBytesSliceArgumentByName("bytes")
	if interest, declared := mi.MagicInterest(); declared && !interest.Admits(domain.MagicFacts{Bytes: b}) {
		t.Errorf("the signature fired on a magic_write of %q, which its declared MagicInterest %q drops in the kernel", b, interest.Prefixes)
	}
}

func runCases(t *testing.T, newSig func() detect.Signature, cases []sigCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sig := newSig()
			md, _ := sig.GetMetadata()
			got := collect(t, sig, tc.events)
			if len(got) != tc.findings {
				t.Fatalf("got %d findings, want %d", len(got), tc.findings)
			}
			if len(got) == 0 {
				return
			}
			last := got[len(got)-1]
			if last.SigMetadata.ID != md.ID || last.SigMetadata.EventName != md.EventName {
				t.Errorf("finding metadata %s/%s, want %s/%s", last.SigMetadata.ID, last.SigMetadata.EventName, md.ID, md.EventName)
			}
			data := last.GetData()
			for k, want := range tc.data {
				if got := data[k]; !equalValue(got, want) {
					t.Errorf("data[%q] = %#v, want %#v", k, got, want)
				}
			}
		})
	}
}

func equalValue(a, b interface{}) bool {
	switch av := a.(type) {
	case []string:
		bv, ok := b.([]string)
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if av[i] != bv[i] {
				return false
			}
		}
		return true
	}
	return a == b
}

// benchSignature measures OnEvent on an event the signature reports and on one it ignores.
func benchSignature(b *testing.B, sig detect.Signature, match, miss trace.Event) {
	b.Helper()
	if err := sig.Init(detect.SignatureContext{Callback: func(*detect.Finding) {}}); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		ev   trace.Event
	}{{"match", match}, {"nomatch", miss}} {
		pe := c.ev.ToProtocol()
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = sig.OnEvent(pe)
			}
		})
	}
}

// benchPair measures a two-event detection (state, then trigger) as one "match" round, and a
// lone ignored event as "nomatch".
func benchPair(b *testing.B, sig detect.Signature, first, second, miss trace.Event) {
	b.Helper()
	if err := sig.Init(detect.SignatureContext{Callback: func(*detect.Finding) {}}); err != nil {
		b.Fatal(err)
	}
	p1, p2, pm := first.ToProtocol(), second.ToProtocol(), miss.ToProtocol()
	b.Run("match", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = sig.OnEvent(p1)
			_ = sig.OnEvent(p2)
		}
	})
	b.Run("nomatch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = sig.OnEvent(pm)
		}
	})
}
