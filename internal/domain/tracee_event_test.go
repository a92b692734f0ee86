package domain

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	// traceeEventCount and traceeSyscallCount are the sizes of Tracee v0.24.1's CoreEvents (amd64).
	traceeEventCount   = 589
	traceeSyscallCount = 447
	// tracee32BitOnlyFirstID is Tracee's ID for waitpid, the first of the syscalls only the 32-bit
	// table has. Tracee numbers them on from 449 (core_amd64.go: iota after process_mrelease), so
	// from 449 on a Tracee syscall ID is Tracee's own, not an x86-64 syscall number, and it collides
	// with the real numbers of newer syscalls (futex_waitv = 449, ..., file_setattr = 469).
	tracee32BitOnlyFirstID = 449
)

func eventByName(t *testing.T, name string) TraceeEvent {
	t.Helper()
	for _, ev := range TraceeEvents() {
		if ev.Name == name {
			return ev
		}
	}
	t.Fatalf("no Tracee event %q", name)
	return TraceeEvent{}
}

func paramType(ev TraceeEvent, name string) (string, bool) {
	for _, p := range ev.Params {
		if p.Name == name {
			return p.Type, true
		}
	}
	return "", false
}

func TestTraceeEventsSpotChecks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		id      int // -1: do not check
		syscall bool
		sets    []string      // nil: do not check
		params  []TraceeParam // exact list when all is set, else a subset (Decode "" is not checked)
		all     bool
	}{
		{name: "openat", id: 257, syscall: true, sets: []string{"syscalls", "fs", "fs_file_ops"}, all: true, params: []TraceeParam{
			{"dirfd", "int32", "INT_T"}, {"pathname", "string", "STR_T"}, {"flags", "int32", "INT_T"}, {"mode", "uint16", "U16_T"},
		}},
		{name: "execve", id: 59, syscall: true, params: []TraceeParam{{Name: "pathname", Type: "string"}, {Name: "argv", Type: "[]string"}, {Name: "envp", Type: "[]string"}}},
		{name: "read", id: 0, syscall: true, params: []TraceeParam{{Name: "fd", Type: "int32"}, {Name: "buf", Type: "trace.Pointer"}, {Name: "count", Type: "uint64"}}},
		{name: "sched_process_exec", id: -1, params: []TraceeParam{{Name: "prev_comm", Type: "string"}, {Name: "env", Type: "[]string"}, {Name: "pwd", Type: "string"}}},
		{name: "security_socket_connect", id: -1, params: []TraceeParam{{Name: "remote_addr", Type: "SockAddr"}}},
		{name: "magic_write", id: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := eventByName(t, tc.name)
			if tc.id >= 0 && ev.ID != tc.id {
				t.Errorf("ID = %d, want %d", ev.ID, tc.id)
			}
			if ev.Syscall != tc.syscall || ev.KernelOnly {
				t.Errorf("Syscall, KernelOnly = %t, %t; want %t, false", ev.Syscall, ev.KernelOnly, tc.syscall)
			}
			if tc.sets != nil && !slices.Equal(ev.Sets, tc.sets) {
				t.Errorf("Sets = %q, want %q", ev.Sets, tc.sets)
			}
			if tc.all && !slices.Equal(ev.Params, tc.params) {
				t.Errorf("Params = %+v, want %+v", ev.Params, tc.params)
			}
			for _, p := range tc.params {
				got, ok := paramType(ev, p.Name)
				if !ok || got != p.Type {
					t.Errorf("param %s: type %q (present %t), want %q", p.Name, got, ok, p.Type)
				}
			}
			if len(ev.Probes) == 0 {
				t.Error("no probes")
			}
		})
	}
}

func TestTraceeEventsProbes(t *testing.T) {
	for _, tc := range []struct {
		event string
		want  TraceeProbe
	}{
		{"openat", TraceeProbe{"SyscallEnter__Internal", "raw_tracepoint", "raw_syscalls:sys_enter", true}},
		{"sched_process_exec", TraceeProbe{"SchedProcessExec", "raw_tracepoint", "sched:sched_process_exec", true}},
		{"security_file_open", TraceeProbe{"SecurityFileOpen", "kprobe", "security_file_open", true}},
		{"magic_write", TraceeProbe{"VfsWriteMagicRet", "kretprobe", "vfs_write", true}},
	} {
		ev := eventByName(t, tc.event)
		if !slices.Contains(ev.Probes, tc.want) {
			t.Errorf("%s: probes %+v lack %+v", tc.event, ev.Probes, tc.want)
		}
	}
	for _, ev := range TraceeEvents() {
		seenOptional := false
		for _, p := range ev.Probes {
			if p.Kind == "" || p.Handle == "" {
				t.Errorf("%s: probe without kind or handle: %+v", ev.Name, p)
			}
			if !p.Required {
				seenOptional = true
			} else if seenOptional {
				t.Errorf("%s: a required probe follows an optional one: %+v", ev.Name, ev.Probes)
			}
		}
	}
}

func TestTraceeEventsShape(t *testing.T) {
	evs := TraceeEvents()
	names := map[string]int{}
	traceeIDs := map[int]string{} // every Tracee row
	x86IDs := map[int]string{}    // syscall rows numbered as x86-64 syscalls
	events, syscalls, kernelOnly := 0, 0, 0
	var kernelNames []string
	for i, ev := range evs {
		if i > 0 && ev.ID < evs[i-1].ID {
			t.Errorf("%s (%d) after %s (%d): not sorted by ID", ev.Name, ev.ID, evs[i-1].Name, evs[i-1].ID)
		}
		if prev, ok := names[ev.Name]; ok {
			t.Errorf("name %s twice (IDs %d and %d)", ev.Name, prev, ev.ID)
		}
		names[ev.Name] = ev.ID
		if ev.KernelOnly {
			kernelOnly++
			kernelNames = append(kernelNames, ev.Name)
			if !ev.Syscall || len(ev.Probes) > 0 || len(ev.Sets) > 0 {
				t.Errorf("kernel-only %s: Syscall %t, %d probes, sets %q", ev.Name, ev.Syscall, len(ev.Probes), ev.Sets)
			}
		} else {
			events++
			if prev, ok := traceeIDs[ev.ID]; ok {
				t.Errorf("Tracee ID %d twice: %s and %s", ev.ID, prev, ev.Name)
			}
			traceeIDs[ev.ID] = ev.Name
			if ev.Syscall {
				syscalls++
			}
		}
		if !ev.Syscall {
			if ev.ID < 700 {
				t.Errorf("non-syscall %s has ID %d, in the syscall range", ev.Name, ev.ID)
			}
			continue
		}
		if _, ok := syscallOutsideRange[ev.Name]; ok {
			continue
		}
		if ev.ID < 0 || ev.ID >= 700 {
			t.Errorf("syscall %s has ID %d, outside 0..699", ev.Name, ev.ID)
		}
		if ev.KernelOnly || ev.ID < tracee32BitOnlyFirstID {
			if ev.ID >= 500 {
				t.Errorf("x86-64 syscall %s numbered %d: beyond the x86-64 table", ev.Name, ev.ID)
			}
			if prev, ok := x86IDs[ev.ID]; ok {
				t.Errorf("x86-64 syscall number %d twice: %s and %s", ev.ID, prev, ev.Name)
			}
			x86IDs[ev.ID] = ev.Name
		}
		for _, p := range ev.Params {
			if p.Name == "" || p.Type == "" || p.Decode == "" {
				t.Errorf("syscall %s: incomplete param %+v", ev.Name, p)
			}
		}
	}
	if events != traceeEventCount || syscalls != traceeSyscallCount {
		t.Errorf("Tracee rows: %d events, %d syscalls; want %d, %d", events, syscalls, traceeEventCount, traceeSyscallCount)
	}
	if len(evs) != events+kernelOnly {
		t.Errorf("%d rows, want %d Tracee + %d kernel-only", len(evs), events, kernelOnly)
	}
	t.Logf("%d rows: %d Tracee events (%d syscalls), %d kernel-only syscalls %s", len(evs), events, syscalls, kernelOnly, strings.Join(kernelNames, " "))
}

//
// Privileged: Tracee's syscall args against the running kernel's tracefs formats.
//

// traceeToTracepoint names the syscalls whose tracepoint (SYSCALL_DEFINE) name differs from the
// syscall-table name Tracee uses.
var traceeToTracepoint = map[string]string{
	"stat":     "newstat",
	"fstat":    "newfstat",
	"lstat":    "newlstat",
	"uname":    "newuname",
	"sendfile": "sendfile64",
	"umount2":  "umount",
}

// argCountAllowed lists the syscalls where Tracee v0.24.1 legitimately has another number of args
// than the kernel's sys_enter format, with the reason.
var argCountAllowed = map[string]string{
	"sysfs":          "Tracee declares only option; the kernel also passes arg1 and arg2",
	"fchmodat":       "Tracee follows glibc's fchmodat(dirfd, pathname, mode, flags); the kernel's syscall has no flags (fchmodat2 has)",
	"faccessat":      "Tracee follows glibc's faccessat(dirfd, pathname, mode, flags); the kernel's syscall has no flags (faccessat2 has)",
	"eventfd":        "Tracee follows glibc's eventfd(initval, flags); the kernel's eventfd takes only the count (eventfd2 has flags)",
	"membarrier":     "Tracee predates the cpu_id arg added in Linux 5.10",
	"io_uring_enter": "Tracee predates the argsz arg (Linux 5.11, IORING_ENTER_EXT_ARG); its sig is the kernel's argp",
	"close_range":    "Tracee omits the flags arg",
	"epoll_pwait2":   "Tracee omits sigsetsize",
}

// pointerAllowed lists "syscall/arg" where Tracee legitimately decodes a pointer as an integer or
// an integer as a non-integer, with the reason.
var pointerAllowed = map[string]string{
	// User-space addresses the kernel takes as unsigned long: Tracee decodes them as pointers.
	"mmap/addr":             addrAsULong,
	"mprotect/addr":         addrAsULong,
	"munmap/addr":           addrAsULong,
	"brk/addr":              addrAsULong,
	"mremap/old_address":    addrAsULong,
	"mremap/new_address":    addrAsULong,
	"msync/addr":            addrAsULong,
	"mincore/addr":          addrAsULong,
	"madvise/addr":          addrAsULong,
	"clone/stack":           addrAsULong,
	"ptrace/addr":           addrAsULong,
	"ptrace/data":           addrAsULong,
	"mlock/addr":            addrAsULong,
	"munlock/addr":          addrAsULong,
	"remap_file_pages/addr": addrAsULong,
	"mbind/addr":            addrAsULong,
	"get_mempolicy/addr":    addrAsULong,
	"mlock2/addr":           addrAsULong,
	"pkey_mprotect/addr":    addrAsULong,
	// aio_context_t is the user-space address of the AIO ring, an unsigned long in the kernel.
	"io_destroy/ctx_id":    aioContext,
	"io_getevents/ctx_id":  aioContext,
	"io_submit/ctx_id":     aioContext,
	"io_cancel/ctx_id":     aioContext,
	"io_pgetevents/ctx_id": aioContext,
	// Mistakes in Tracee v0.24.1's definitions that the table reproduces as they are.
	"fsconfig/fs_fd": "Tracee v0.24.1 declares the fd as trace.Pointer; the kernel's fd is an int",
	"quotactl_fd/id": "Tracee v0.24.1 declares id as trace.Pointer; the kernel's id is a qid_t",
}

const (
	addrAsULong = "a user-space address passed as unsigned long; Tracee decodes it as trace.Pointer"
	aioContext  = "aio_context_t is the user-space address of the AIO ring; Tracee decodes it as trace.Pointer"
)

// syscallOutsideRange lists Tracee's events marked syscall: true whose ID is no syscall number.
var syscallOutsideRange = map[string]string{
	"chmod_common": "Tracee v0.24.1 marks this kprobe event (chmod_common, ID 791 in the common range) syscall: true",
}

type kernelArg struct{ ctype, name string }

func readFormat(path string) ([]kernelArg, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var args []kernelArg
	seenNr := false
	for _, line := range strings.Split(string(b), "\n") {
		decl, ok := strings.CutPrefix(strings.TrimSpace(line), "field:")
		if !ok {
			continue
		}
		decl, _, _ = strings.Cut(decl, ";")
		i := strings.LastIndexAny(decl, " *")
		ctype, name := strings.TrimSpace(decl[:i+1]), strings.TrimSpace(decl[i+1:])
		if name == "__syscall_nr" {
			seenNr = true
		} else if seenNr {
			args = append(args, kernelArg{ctype, name})
		}
	}
	return args, nil
}

func isPointerCType(ctype string) bool {
	base := strings.TrimPrefix(ctype, "const ")
	return strings.Contains(ctype, "*") || base == "cap_user_header_t" || base == "cap_user_data_t" // pointer typedefs
}

func isIntegerGoType(t string) bool {
	switch t {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return true
	}
	return false
}

func syscallTracefs(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to read tracefs syscall formats")
	}
	const tracefs = "/sys/kernel/tracing"
	dir := filepath.Join(tracefs, "events", "syscalls")
	if _, err := os.Stat(dir); err != nil {
		if out, err := exec.Command("mount", "-t", "tracefs", "nodev", tracefs).CombinedOutput(); err != nil {
			t.Skipf("tracefs not mounted and cannot be mounted: %v: %s", err, out)
		}
		if _, err := os.Stat(dir); err != nil {
			t.Skipf("no syscall tracepoints in tracefs (kernel without CONFIG_FTRACE_SYSCALLS?): %v", err)
		}
	}
	return dir
}

func TestTraceeSyscallArgsMatchTracefs(t *testing.T) {
	dir := syscallTracefs(t)
	compared := 0
	for _, ev := range TraceeEvents() {
		if !ev.Syscall || (!ev.KernelOnly && ev.ID >= tracee32BitOnlyFirstID) {
			continue // Tracee's 32-bit-only syscalls have no x86-64 tracepoint
		}
		tp := ev.Name
		if alias, ok := traceeToTracepoint[tp]; ok {
			tp = alias
		}
		args, err := readFormat(filepath.Join(dir, "sys_enter_"+tp, "format"))
		if os.IsNotExist(err) {
			continue // a syscall this kernel does not trace (not built in, or no tracepoint)
		}
		if err != nil {
			t.Fatal(err)
		}
		compared++
		if len(args) != len(ev.Params) {
			if reason, ok := argCountAllowed[ev.Name]; ok {
				t.Logf("%s: %d Tracee args, %d kernel args: allowed: %s", ev.Name, len(ev.Params), len(args), reason)
			} else {
				t.Errorf("%s (%d): Tracee has %d args %v, kernel sys_enter_%s has %d %v", ev.Name, ev.ID, len(ev.Params), ev.Params, tp, len(args), args)
			}
			continue
		}
		for i, a := range args {
			p := ev.Params[i]
			if isPointerCType(a.ctype) == !isIntegerGoType(p.Type) {
				continue
			}
			key := ev.Name + "/" + p.Name
			if reason, ok := pointerAllowed[key]; ok {
				t.Logf("%s: Tracee %s vs kernel %q: allowed: %s", key, p.Type, a.ctype, reason)
				continue
			}
			t.Errorf("%s arg %d: Tracee %s %s, kernel %q %s: pointer and integer disagree", ev.Name, i, p.Name, p.Type, a.ctype, a.name)
		}
	}
	if compared < 300 {
		t.Errorf("only %d syscalls compared with tracefs", compared)
	}
	t.Logf("%d syscalls compared with %s", compared, dir)
}
