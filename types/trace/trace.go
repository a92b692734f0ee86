// Package trace defines the event that the agent produces and signatures consume. Field names,
// types and JSON names follow Tracee's types/trace (v0.24) so that Tracee's JSON output replays
// here and Tracee signatures compile unchanged.
package trace

import (
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// Event is one kernel (or derived) event with its full process context.
type Event struct {
	Timestamp             int          `json:"timestamp"`
	ThreadStartTime       int          `json:"threadStartTime"`
	ProcessorID           int          `json:"processorId"`
	ProcessID             int          `json:"processId"`
	CgroupID              uint         `json:"cgroupId"`
	ThreadID              int          `json:"threadId"`
	ParentProcessID       int          `json:"parentProcessId"`
	HostProcessID         int          `json:"hostProcessId"`
	HostThreadID          int          `json:"hostThreadId"`
	HostParentProcessID   int          `json:"hostParentProcessId"`
	UserID                int          `json:"userId"`
	MountNS               int          `json:"mountNamespace"`
	PIDNS                 int          `json:"pidNamespace"`
	ProcessName           string       `json:"processName"`
	Executable            File         `json:"executable"`
	HostName              string       `json:"hostName"`
	ContainerID           string       `json:"containerId"`
	Container             Container    `json:"container,omitempty"`
	Kubernetes            Kubernetes   `json:"kubernetes,omitempty"`
	EventID               int          `json:"eventId,string"`
	EventName             string       `json:"eventName"`
	PoliciesVersion       uint16       `json:"-"`
	MatchedPoliciesKernel uint64       `json:"-"`
	MatchedPoliciesUser   uint64       `json:"-"`
	MatchedPolicies       []string     `json:"matchedPolicies,omitempty"`
	ArgsNum               int          `json:"argsNum"`
	ReturnValue           int          `json:"returnValue"`
	Syscall               string       `json:"syscall"`
	StackAddresses        []uint64     `json:"stackAddresses"`
	ContextFlags          ContextFlags `json:"contextFlags"`
	ThreadEntityId        uint32       `json:"threadEntityId"`  // hash of thread start time and tid
	ProcessEntityId       uint32       `json:"processEntityId"` // hash of process start time and pid
	ParentEntityId        uint32       `json:"parentEntityId"`  // the parent's processEntityId
	Args                  []Argument   `json:"args"`            // in the order the event defines them
	Metadata              *Metadata    `json:"metadata,omitempty"`
}

// Container describes the container an event came from.
type Container struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name,omitempty"`
	ImageName   string `json:"image,omitempty"`
	ImageDigest string `json:"imageDigest,omitempty"`
}

// Kubernetes describes the pod an event came from.
type Kubernetes struct {
	PodName      string `json:"podName,omitempty"`
	PodNamespace string `json:"podNamespace,omitempty"`
	PodUID       string `json:"podUID,omitempty"`
	PodSandbox   bool   `json:"podSandbox,omitempty"`
}

// Metadata is attached to signature events: the signature's version, description, tags and properties.
type Metadata struct {
	Version     string
	Description string
	Tags        []string
	Properties  map[string]interface{}
}

// ContextFlags are flags of the event's context.
type ContextFlags struct {
	ContainerStarted bool `json:"containerStarted"`
	IsCompat         bool `json:"isCompat"`
}

// File names a file by path.
type File struct {
	Path string `json:"path"`
}

// EventOrigin says whether an event came from the host or a container.
type EventOrigin string

// The origins an event can have.
const (
	ContainerOrigin     EventOrigin = "container"      // inside a container, after its entry point started
	HostOrigin          EventOrigin = "host"           // on the host
	ContainerInitOrigin EventOrigin = "container-init" // inside a container, before its entry point started
)

// EventSource is the protocol source name of events produced by the agent.
const EventSource = "tracee"

// Origin derives where the event happened.
func (e Event) Origin() EventOrigin {
	if e.ContextFlags.ContainerStarted {
		return ContainerOrigin
	}
	if e.Container.ID != "" {
		return ContainerInitOrigin
	}
	return HostOrigin
}

// ToProtocol wraps the event for the engine.
func (e Event) ToProtocol() protocol.Event {
	return protocol.Event{
		Headers: protocol.EventHeaders{
			Selector: protocol.Selector{
				Name:   e.EventName,
				Origin: string(e.Origin()),
				Source: EventSource,
			},
		},
		Payload: e,
	}
}

// GetArgumentByName returns the argument called name, or nil.
func (e *Event) GetArgumentByName(name string) *Argument {
	for i := range e.Args {
		if e.Args[i].Name == name {
			return &e.Args[i]
		}
	}
	return nil
}

// Argument is one named, typed event argument.
type Argument struct {
	ArgMeta
	Value interface{} `json:"value"`
}

// ArgMeta describes an argument: its name and C-like type ("const char*", "int", "u64" ...).
type ArgMeta struct {
	Name string `json:"name"`
	Type string `json:"type"`

	// Zero is the zero value for Argument.Value of this type.
	Zero interface{} `json:"-"`
}

// SlimCred is a compact copy of the kernel's struct cred.
type SlimCred struct {
	Uid            uint32 /* real UID of the task */
	Gid            uint32 /* real GID of the task */
	Suid           uint32 /* saved UID of the task */
	Sgid           uint32 /* saved GID of the task */
	Euid           uint32 /* effective UID of the task */
	Egid           uint32 /* effective GID of the task */
	Fsuid          uint32 /* UID for VFS ops */
	Fsgid          uint32 /* GID for VFS ops */
	UserNamespace  uint32 /* user namespace of the event */
	SecureBits     uint32 /* SUID-less security management */
	CapInheritable uint64 /* caps our children can inherit */
	CapPermitted   uint64 /* caps we're permitted */
	CapEffective   uint64 /* caps we can actually use */
	CapBounding    uint64 /* capability bounding set */
	CapAmbient     uint64 /* ambient capability set */
}

// HookedSymbolData names a kernel symbol that was found hooked.
type HookedSymbolData struct {
	SymbolName  string
	ModuleOwner string
}

// MemProtAlert says what kind of memory-protection change a mem_prot_alert event reports.
type MemProtAlert uint32

// The memory-protection alerts.
const (
	ProtAlertUnknown MemProtAlert = iota
	ProtAlertMmapWX
	ProtAlertMprotectToX
	ProtAlertMprotectXToWX
	ProtAlertMprotectWXToX
	ProtAlertLast
)

func (alert MemProtAlert) String() string {
	switch alert {
	case ProtAlertMmapWX:
		return "Mmaped region with W+E permissions!"
	case ProtAlertMprotectToX:
		return "Protection changed to Executable!"
	case ProtAlertMprotectXToWX:
		return "Protection changed from E to W+E!"
	case ProtAlertMprotectWXToX:
		return "Protection changed from W+E to E!"
	default:
		return "Unknown alert"
	}
}
