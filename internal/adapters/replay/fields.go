package replay

import "github.com/seed-428f5ad7/tracee/types/trace"

// The fields of a trace.Event as the fast decoder reads them: its keys in their usual order and
// what each key's value is read into.

// The keys of a trace.Event, in the order Tracee's printer writes them.
const (
	keyTimestamp = iota
	keyThreadStartTime
	keyProcessorID
	keyProcessID
	keyCgroupID
	keyThreadID
	keyParentProcessID
	keyHostProcessID
	keyHostThreadID
	keyHostParentProcessID
	keyUserID
	keyMountNS
	keyPIDNS
	keyProcessName
	keyExecutable
	keyHostName
	keyContainerID
	keyContainer
	keyKubernetes
	keyEventID
	keyEventName
	keyMatchedPolicies
	keyArgsNum
	keyReturnValue
	keySyscall
	keyStackAddresses
	keyContextFlags
	keyThreadEntityID
	keyProcessEntityID
	keyParentEntityID
	keyArgs
	keyMetadata
	eventKeyCount
)

var (
	eventKeys = newKeySet("timestamp", "threadStartTime", "processorId", "processId", "cgroupId", "threadId",
		"parentProcessId", "hostProcessId", "hostThreadId", "hostParentProcessId", "userId", "mountNamespace",
		"pidNamespace", "processName", "executable", "hostName", "containerId", "container", "kubernetes",
		"eventId", "eventName", "matchedPolicies", "argsNum", "returnValue", "syscall", "stackAddresses",
		"contextFlags", "threadEntityId", "processEntityId", "parentEntityId", "args", "metadata")
	argKeys        = newKeySet("name", "type", "value")
	executableKeys = newKeySet("path")
	containerKeys  = newKeySet("id", "name", "image", "imageDigest")
	kubernetesKeys = newKeySet("podName", "podNamespace", "podUID", "podSandbox")
	flagKeys       = newKeySet("containerStarted", "isCompat")
)

// keyOrders are the key orders last seen in each kind of object (see scanner.object).
type keyOrders struct {
	event                                    [eventKeyCount + 1]int8
	arg                                      [4]int8
	executable, container, kubernetes, flags [5]int8
}

func newKeyOrders() keyOrders {
	var o keyOrders
	for _, f := range [][]int8{o.event[:], o.arg[:], o.executable[:2], o.container[:], o.kubernetes[:], o.flags[:3]} {
		for i := range f {
			f[i] = int8(max(0, min(i, len(f)-2)))
		}
	}
	return o
}

// eventField reads the value of trace.Event's key k.
func (s *scanner) eventField(k int, ev *trace.Event) bool {
	switch k {
	case keyTimestamp:
		return s.intField(&ev.Timestamp)
	case keyThreadStartTime:
		return s.intField(&ev.ThreadStartTime)
	case keyProcessorID:
		return s.intField(&ev.ProcessorID)
	case keyProcessID:
		return s.intField(&ev.ProcessID)
	case keyThreadID:
		return s.intField(&ev.ThreadID)
	case keyParentProcessID:
		return s.intField(&ev.ParentProcessID)
	case keyHostProcessID:
		return s.intField(&ev.HostProcessID)
	case keyHostThreadID:
		return s.intField(&ev.HostThreadID)
	case keyHostParentProcessID:
		return s.intField(&ev.HostParentProcessID)
	case keyUserID:
		return s.intField(&ev.UserID)
	case keyMountNS:
		return s.intField(&ev.MountNS)
	case keyPIDNS:
		return s.intField(&ev.PIDNS)
	case keyArgsNum:
		return s.intField(&ev.ArgsNum)
	case keyReturnValue:
		return s.intField(&ev.ReturnValue)
	case keyCgroupID:
		var v uint64
		ok := s.uintField(&v, 64)
		ev.CgroupID = uint(v)
		return ok
	case keyThreadEntityID, keyProcessEntityID, keyParentEntityID:
		var v uint64
		ok := s.uintField(&v, 32)
		switch k {
		case keyThreadEntityID:
			ev.ThreadEntityId = uint32(v)
		case keyProcessEntityID:
			ev.ProcessEntityId = uint32(v)
		default:
			ev.ParentEntityId = uint32(v)
		}
		return ok
	case keyProcessName:
		return s.strFieldLast(&ev.ProcessName, &s.st.last.processName)
	case keyHostName:
		return s.strFieldLast(&ev.HostName, &s.st.last.hostName)
	case keyContainerID:
		return s.strFieldLast(&ev.ContainerID, &s.st.last.containerID)
	case keyEventName:
		s.sawName = true
		ok := s.strField(&ev.EventName, "")
		s.check = s.want != nil && !s.want(ev.EventName)
		return ok
	case keySyscall:
		return s.strField(&ev.Syscall, "")
	case keyEventID:
		// `json:",string"`: a quoted integer; anything else goes to encoding/json
		raw, plain, ok := s.rawString()
		if !ok || !plain || len(raw) == 0 || !validInt(raw) {
			return false
		}
		v, ok := parseInt(raw, 64)
		ev.EventID = int(v)
		return ok
	case keyExecutable:
		return s.null() || s.object(executableKeys, s.st.order.executable[:2], func(int) bool {
			return s.strFieldLast(&ev.Executable.Path, &s.st.last.path)
		})
	case keyContainer:
		return s.null() || s.object(containerKeys, s.st.order.container[:], func(k int) bool {
			c := &ev.Container
			return s.strField([]*string{&c.ID, &c.Name, &c.ImageName, &c.ImageDigest}[k], "")
		})
	case keyKubernetes:
		return s.null() || s.object(kubernetesKeys, s.st.order.kubernetes[:], func(k int) bool {
			p := &ev.Kubernetes
			if k == 3 {
				return s.boolField(&p.PodSandbox)
			}
			return s.strField([]*string{&p.PodName, &p.PodNamespace, &p.PodUID}[k], "")
		})
	case keyContextFlags:
		return s.null() || s.object(flagKeys, s.st.order.flags[:3], func(k int) bool {
			return s.boolField([]*bool{&ev.ContextFlags.ContainerStarted, &ev.ContextFlags.IsCompat}[k])
		})
	case keyMatchedPolicies:
		return s.null() || s.stringList(&ev.MatchedPolicies)
	case keyStackAddresses:
		return s.null() || s.uintList(&ev.StackAddresses)
	case keyArgs:
		return s.null() || s.args(ev)
	case keyMetadata:
		return s.null() // a finding's metadata goes to encoding/json
	}
	return false
}
