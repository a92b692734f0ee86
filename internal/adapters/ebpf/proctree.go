package ebpf

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// procInfo is what the tree knows of one process (keyed by host tgid).
type procInfo struct {
	exe   string
	start uint64 // boot-time ns of the process leader
}

// procTree knows every process's executable, bootstrapped from /proc and kept by fork, exec
// and exit events, so events of processes older than the agent name their executable too.
// It is used by the reader goroutine only.
type procTree struct {
	procRoot string
	procs    map[uint32]*procInfo
	gen      uint64 // moves on every change: what the decoder cached from the tree is stale
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's starttime (100 on every Linux ABI).
const clockTicks = 100

func newProcTree(procRoot string) *procTree {
	return &procTree{procRoot: procRoot, procs: map[uint32]*procInfo{}}
}

// bootstrap reads every process in /proc.
func (t *procTree) bootstrap() {
	entries, err := os.ReadDir(t.procRoot)
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.ParseUint(e.Name(), 10, 32)
		if err != nil {
			continue
		}
		t.procs[uint32(pid)] = t.fromProc(uint32(pid))
	}
}

func (t *procTree) fromProc(pid uint32) *procInfo {
	dir := filepath.Join(t.procRoot, strconv.FormatUint(uint64(pid), 10))
	p := &procInfo{}
	p.exe, _ = os.Readlink(filepath.Join(dir, "exe"))
	p.exe = strings.TrimSuffix(p.exe, " (deleted)")
	if stat, err := os.ReadFile(filepath.Join(dir, "stat")); err == nil {
		p.start = statStartTime(string(stat))
	}
	return p
}

// statStartTime parses field 22 of /proc/<pid>/stat into boot-time ns.
func statStartTime(stat string) uint64 {
	i := strings.LastIndexByte(stat, ')') // comm may hold spaces and parentheses
	if i < 0 {
		return 0
	}
	fields := strings.Fields(stat[i+1:])
	if len(fields) < 20 {
		return 0
	}
	ticks, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return 0
	}
	return ticks * (1e9 / clockTicks)
}

func (t *procTree) get(pid uint32) *procInfo {
	return t.procs[pid]
}

// exe returns the executable of pid, asking /proc once for a process never seen.
func (t *procTree) exe(pid uint32) string {
	p, ok := t.procs[pid]
	if !ok {
		p = t.fromProc(pid)
		t.procs[pid] = p
		t.gen++
	}
	return p.exe
}

func (t *procTree) fork(child, parent uint32, start uint64) {
	p := &procInfo{start: start}
	if pp, ok := t.procs[parent]; ok {
		p.exe = pp.exe
	}
	t.procs[child] = p
	t.gen++
}

func (t *procTree) exec(pid uint32, exe string, start uint64) {
	t.procs[pid] = &procInfo{exe: exe, start: start}
	t.gen++
}

func (t *procTree) exit(pid uint32) {
	delete(t.procs, pid)
	t.gen++
}
