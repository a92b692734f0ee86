package domain

import (
	"encoding/json"
	"maps"
	"sync"
	"time"

	"github.com/seed-428f5ad7/tracee/types/datasource"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// DefaultMaxProcesses bounds the process tree (processes and threads each).
const DefaultMaxProcesses = 32768

// ProcessTree is Tracee's "tracee"/"process_tree" data source, built from the events that flow
// through the engine: every event's context (entity IDs, pids, container) and the arguments of
// sched_process_exec (binary, argv) and sched_process_exit. Keys are datasource.ProcKey,
// ThreadKey and LineageKey; answers are what datasource.ProcessTreeDS expects.
//
// Unlike Tracee's, it keeps the latest state of a process, not its history: a query "at time T"
// gets the last exec seen, and IsAlive is judged against T.
type ProcessTree struct {
	mu      sync.RWMutex
	procs   *boundedMap[uint32, *datasource.ProcessInfo]
	threads *boundedMap[uint32, *datasource.ThreadInfo]
}

// NewProcessTree returns an empty tree holding at most max processes and max threads (the least
// recently seen are forgotten first); max <= 0 means DefaultMaxProcesses.
func NewProcessTree(max int) *ProcessTree {
	if max <= 0 {
		max = DefaultMaxProcesses
	}
	return &ProcessTree{procs: newBoundedMap[uint32, *datasource.ProcessInfo](max),
		threads: newBoundedMap[uint32, *datasource.ThreadInfo](max)}
}

// Observe updates the tree from one event. Events without entity IDs are ignored.
func (t *ProcessTree) Observe(ev *trace.Event) {
	if ev.ProcessEntityId == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	at := time.Unix(0, int64(ev.Timestamp))
	p := t.procs.upsert(ev.ProcessEntityId, func() *datasource.ProcessInfo {
		return &datasource.ProcessInfo{EntityId: ev.ProcessEntityId, IsAlive: true,
			ThreadsIds: map[int]uint32{}, ChildProcessesIds: map[int]uint32{}}
	})
	p.Pid, p.NsPid, p.Ppid = ev.HostProcessID, ev.ProcessID, ev.HostParentProcessID
	p.ParentEntityId = ev.ParentEntityId
	if ev.Container.ID != "" {
		p.ContainerId = ev.Container.ID
	}
	if ev.ThreadEntityId != 0 {
		th := t.threads.upsert(ev.ThreadEntityId, func() *datasource.ThreadInfo {
			return &datasource.ThreadInfo{EntityId: ev.ThreadEntityId, IsAlive: true}
		})
		th.Tid, th.NsTid, th.Pid = ev.HostThreadID, ev.ThreadID, ev.HostProcessID
		th.UserId, th.Name, th.ProcessEntityId = ev.UserID, ev.ProcessName, ev.ProcessEntityId
		if ev.ThreadStartTime != 0 && th.StartTime.IsZero() {
			th.StartTime = time.Unix(0, int64(ev.ThreadStartTime))
		}
		p.ThreadsIds[ev.HostThreadID] = ev.ThreadEntityId
		if ev.HostThreadID == ev.HostProcessID && p.StartTime.IsZero() {
			p.StartTime = th.StartTime // the leader's start is the process's
		}
	}
	if ev.ParentEntityId != 0 {
		if parent, ok := t.procs.get(ev.ParentEntityId); ok {
			parent.ChildProcessesIds[ev.HostProcessID] = ev.ProcessEntityId
		}
	}
	switch ev.EventName {
	case "sched_process_exec":
		t.exec(p, ev, at)
	case "sched_process_exit":
		t.exit(p, ev, at)
	}
}

func (t *ProcessTree) exec(p *datasource.ProcessInfo, ev *trace.Event, at time.Time) {
	p.ExecTime = at
	path := argString(ev, "pathname")
	if path == "" {
		path = argString(ev, "cmdpath")
	}
	p.ExecutionBinary = datasource.FileInfo{Path: path, Inode: argNum(ev, "inode"), Device: argNum(ev, "dev"),
		Ctime: time.Unix(0, int64(argNum(ev, "ctime"))), Mode: argNum(ev, "inode_mode")}
	p.Interpreter = datasource.FileInfo{Path: argString(ev, "interpreter_pathname"), Inode: argNum(ev, "interpreter_inode"),
		Device: argNum(ev, "interpreter_dev"), Ctime: time.Unix(0, int64(argNum(ev, "interpreter_ctime")))}
	p.Interp = datasource.FileInfo{Path: argString(ev, "interp")}
	if argv, err := ev.GetSliceStringArgumentByName("argv"); err == nil {
		p.Cmd = argv
	}
}

func (t *ProcessTree) exit(p *datasource.ProcessInfo, ev *trace.Event, at time.Time) {
	if th, ok := t.threads.get(ev.ThreadEntityId); ok {
		th.ExitTime, th.IsAlive = at, false
	}
	groupExit := false
	if a := Arg(ev, "process_group_exit"); a != nil {
		groupExit, _ = a.Value.(bool)
	}
	if groupExit || ev.HostThreadID == ev.HostProcessID {
		p.ExitTime, p.IsAlive = at, false
	}
}

func argString(ev *trace.Event, name string) string {
	s, _ := ev.GetStringArgumentByName(name)
	return s
}

// argNum reads any number argument (and time.Time as epoch ns) as an int, 0 when absent.
func argNum(ev *trace.Event, name string) int {
	if a := Arg(ev, name); a != nil {
		if t, ok := a.Value.(time.Time); ok {
			return int(t.UnixNano())
		}
	}
	return int(argInt(ev, name))
}

// Len returns how many processes the tree holds.
func (t *ProcessTree) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.procs.len()
}

// Get implements detect.DataSource.
func (t *ProcessTree) Get(key interface{}) (map[string]interface{}, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	switch k := key.(type) {
	case datasource.ProcKey:
		p, ok := t.procs.get(k.EntityId)
		if !ok {
			return nil, detect.ErrDataNotFound
		}
		return map[string]interface{}{"process_info": t.processAt(p, k.Time)}, nil
	case datasource.ThreadKey:
		th, ok := t.threads.get(k.EntityId)
		if !ok {
			return nil, detect.ErrDataNotFound
		}
		info := *th
		info.IsAlive = aliveAt(info.StartTime, info.ExitTime, k.Time)
		return map[string]interface{}{"thread_info": datasource.TimeRelevantInfo[datasource.ThreadInfo]{Timestamp: k.Time, Info: info}}, nil
	case datasource.LineageKey:
		p, ok := t.procs.get(k.EntityId)
		if !ok {
			return nil, detect.ErrDataNotFound
		}
		return map[string]interface{}{"process_lineage": t.lineage(p, k.Time, k.MaxDepth)}, nil
	}
	return nil, detect.ErrKeyNotSupported
}

// processAt copies p (maps included: signatures must not see later updates) as of time at.
func (t *ProcessTree) processAt(p *datasource.ProcessInfo, at time.Time) datasource.TimeRelevantInfo[datasource.ProcessInfo] {
	info := *p
	info.Cmd = append([]string(nil), p.Cmd...)
	info.ThreadsIds = maps.Clone(p.ThreadsIds)
	info.ChildProcessesIds = maps.Clone(p.ChildProcessesIds)
	info.IsAlive = aliveAt(p.StartTime, p.ExitTime, at)
	return datasource.TimeRelevantInfo[datasource.ProcessInfo]{Timestamp: at, Info: info}
}

// lineage is the process and up to maxDepth ancestors, stopping at a namespace's init (as Tracee).
func (t *ProcessTree) lineage(p *datasource.ProcessInfo, at time.Time, maxDepth int) datasource.ProcessLineage {
	out := datasource.ProcessLineage{t.processAt(p, at)}
	for depth := 0; depth < maxDepth && p.NsPid != 1; depth++ {
		start := p.StartTime
		parent, ok := t.procs.get(p.ParentEntityId)
		if !ok || parent == p {
			break
		}
		p = parent
		out = append(out, t.processAt(p, start))
	}
	return out
}

func aliveAt(start, exit, at time.Time) bool {
	if at.IsZero() {
		return exit.IsZero()
	}
	if !start.IsZero() && at.Before(start) {
		return false
	}
	return exit.IsZero() || at.Before(exit)
}

// Keys implements detect.DataSource.
func (t *ProcessTree) Keys() []string {
	return []string{"datasource.ProcKey", "datasource.ThreadKey", "datasource.LineageKey"}
}

// Schema implements detect.DataSource, with Tracee's wording.
func (t *ProcessTree) Schema() string {
	b, _ := json.Marshal(map[string]string{
		"process_info":    "datasource.TimeRelevantInfo[datasource.ProcessInfo]",
		"thread_info":     "datasource.TimeRelevantInfo[datasource.ThreadInfo]",
		"process_lineage": "datasource.TimeRelevantInfo[datasource.ProcessLineage]",
	})
	return string(b)
}

// Version implements detect.DataSource (Tracee's GetProcessTreeDataSource accepts <= 1).
func (t *ProcessTree) Version() uint { return 1 }

// Namespace implements detect.DataSource.
func (t *ProcessTree) Namespace() string { return "tracee" }

// ID implements detect.DataSource.
func (t *ProcessTree) ID() string { return "process_tree" }
