package domain

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

func (s *PolicySet) filterMatches(f *Filter, ev *trace.Event) bool {
	switch f.kind {
	case fieldGlobal, fieldFollow:
		return true
	case fieldUID:
		return f.matchNumber(int64(ev.UserID))
	case fieldPID:
		return f.matchNumber(int64(ev.HostProcessID))
	case fieldMntNS:
		return f.matchNumber(int64(ev.MountNS))
	case fieldPidNS:
		return f.matchNumber(int64(ev.PIDNS))
	case fieldRetval:
		return f.matchNumber(int64(ev.ReturnValue))
	case fieldTree:
		return f.matchTree(s, ev.HostProcessID)
	case fieldUTS:
		return f.matchString(ev.HostName)
	case fieldContextNumber:
		return f.matchNumber(f.number(ev))
	case fieldContextString:
		return f.matchString(f.text(ev))
	case fieldComm:
		return f.matchString(ev.ProcessName)
	case fieldExecutable:
		if len(f.nums) > 0 && !f.inNums(int64(ev.MountNS)) {
			return f.Op == OpNotEqual
		}
		return f.matchString(ev.Executable.Path)
	case fieldPIDNew:
		return int64(ev.ThreadStartTime) >= s.startedAt
	case fieldContainerStarted:
		return ev.ContextFlags.ContainerStarted
	case fieldContainer:
		id := containerID(ev)
		if f.Op == OpPresent {
			return id != ""
		}
		return f.matchContainer(id)
	case fieldNotContainer:
		return containerID(ev) == ""
	case fieldData:
		return f.matchArg(ev)
	}
	return false
}

func (f *Filter) inNums(v int64) bool {
	for _, n := range f.nums {
		if n == v {
			return true
		}
	}
	return false
}

func containerID(ev *trace.Event) string {
	if ev.Container.ID != "" {
		return ev.Container.ID
	}
	return ev.ContainerID
}

func (f *Filter) matchNumber(v int64) bool {
	switch f.Op {
	case OpEqual:
		for _, n := range f.nums {
			if v == n {
				return true
			}
		}
		return false
	case OpNotEqual:
		for _, n := range f.nums {
			if v == n {
				return false
			}
		}
		return true
	case OpLess:
		return v < f.nums[0]
	case OpGreater:
		return v > f.nums[0]
	case OpLessEqual:
		return v <= f.nums[0]
	case OpGreaterEqual:
		return v >= f.nums[0]
	}
	return false
}

// matchString applies = (any value matches) or != (no value matches), with x* *x *x* globs.
func (f *Filter) matchString(v string) bool {
	return f.anyValue(v) != (f.Op == OpNotEqual)
}

func (f *Filter) anyValue(v string) bool {
	for _, want := range f.Values {
		if globMatch(want, v) {
			return true
		}
	}
	return false
}

// matchContainer accepts a full container ID or a prefix of at least 12 characters, as docker shows.
func (f *Filter) matchContainer(id string) bool {
	hit := false
	for _, want := range f.Values {
		if id != "" && (id == want || (len(want) >= 12 && strings.HasPrefix(id, want)) || globMatch(want, id)) {
			hit = true
			break
		}
	}
	return hit != (f.Op == OpNotEqual)
}

func (f *Filter) matchTree(s *PolicySet, pid int) bool {
	inTree := false
	for _, root := range f.nums {
		if s.descendsFrom(pid, int(root)) {
			inTree = true
			break
		}
	}
	if f.Op == OpNotEqual {
		return !inTree
	}
	return inTree
}

func (s *PolicySet) descendsFrom(pid, root int) bool {
	for depth := 0; pid > 0 && depth < 256; depth++ {
		if pid == root {
			return true
		}
		next, ok := s.parents[pid]
		if !ok && s.ParentOfFn != nil {
			next, ok = s.ParentOfFn(pid)
			if ok {
				s.parents[pid] = next
			}
		}
		if !ok || next == pid {
			return false
		}
		pid = next
	}
	return false
}

// matchArg compares data.<arg>: numbers numerically, strings with globs, string lists by any element.
// An event without the argument does not match (not even !=).
func (f *Filter) matchArg(ev *trace.Event) bool {
	a := Arg(ev, f.arg)
	if a == nil {
		return false
	}
	if f.nums != nil && f.Op != OpEqual && f.Op != OpNotEqual {
		n, ok := numberOf(a.Value)
		return ok && f.matchNumber(n)
	}
	switch v := a.Value.(type) {
	case string:
		return f.matchString(v)
	case []string:
		hit := false
		for _, item := range v {
			if f.anyValue(item) {
				hit = true
				break
			}
		}
		return hit != (f.Op == OpNotEqual)
	}
	if n, ok := numberOf(a.Value); ok {
		return f.matchString(strconv.FormatInt(n, 10))
	}
	return f.matchString(fmt.Sprint(a.Value))
}

// globMatch matches Tracee's globs: x* (prefix), *x (suffix), *x* (contains), or equality.
func globMatch(pattern, v string) bool {
	pre, suf := strings.HasPrefix(pattern, "*"), strings.HasSuffix(pattern, "*")
	switch {
	case pattern == "*":
		return true
	case pre && suf && len(pattern) >= 2:
		return strings.Contains(v, pattern[1:len(pattern)-1])
	case suf:
		return strings.HasPrefix(v, pattern[:len(pattern)-1])
	case pre:
		return strings.HasSuffix(v, pattern[1:])
	}
	return v == pattern
}

func numberOf(v interface{}) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint:
		return int64(n), true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint64:
		return int64(n), true
	case float32:
		return int64(n), true
	case float64:
		return int64(n), true
	case bool:
		if n {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}
