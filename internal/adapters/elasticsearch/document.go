// Package elasticsearch ships events to Elasticsearch as Elastic Common Schema (ECS) alert
// documents: one daily index per day, an index template with explicit mappings, a deterministic
// document ID per alert, and bulk requests fed from a memory queue and an on-disk spool.
package elasticsearch

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// ECSVersion is the ECS version the documents follow.
const ECSVersion = "8.11.0"

// DefaultIndexPrefix names the daily indices: tracee-alerts-YYYY.MM.DD.
const DefaultIndexPrefix = "tracee-alerts"

// Field names of the document, for queries and sorts (searchers must use these, not literals).
const (
	FieldTimestamp           = "@timestamp"
	FieldEventKind           = "event.kind"
	FieldEventSeverity       = "event.severity"
	FieldEventAction         = "event.action"
	FieldEventCategory       = "event.category"
	FieldRuleID              = "rule.id"
	FieldRuleName            = "rule.name"
	FieldRuleDescription     = "rule.description"
	FieldRuleDescriptionText = "rule.description.text" // analysed, for free text
	FieldRuleCategory        = "rule.category"
	FieldThreatTechniqueID   = "threat.technique.id"
	FieldThreatTechnique     = "threat.technique.name"
	FieldThreatSubID         = "threat.technique.subtechnique.id"
	FieldThreatSub           = "threat.technique.subtechnique.name"
	FieldThreatTacticID      = "threat.tactic.id"
	FieldThreatTactic        = "threat.tactic.name"
	FieldProcessPID          = "process.pid"
	FieldProcessName         = "process.name"
	FieldProcessExecutable   = "process.executable"
	FieldProcessEntityID     = "process.entity_id"
	FieldUserID              = "user.id"
	FieldHostName            = "host.name" // the real host, see Identity
	FieldContainerID         = "container.id"
	FieldContainerName       = "container.name"
	FieldContainerImage      = "container.image.name"
	FieldContainerImageTag   = "container.image.tag"
	FieldOrchNamespace       = "orchestrator.namespace"
	FieldOrchResourceName    = "orchestrator.resource.name"
	FieldFilePath            = "file.path"
	FieldDestinationIP       = "destination.ip"
	FieldTags                = "tags"
	FieldMessage             = "message"
	// FieldTraceeArgs holds the event arguments by name (a flattened field: tracee.args.pathname).
	FieldTraceeArgs = "tracee.args"
	// FieldTraceeHostName is the task's UTS nodename (Tracee's hostName): forgeable by any process
	// in a UTS namespace of its own, so it is kept apart from host.name.
	FieldTraceeHostName = "tracee.host_name"
	// FieldTraceeAttackID is the ATT&CK ID as the rule declares it (T1574.006 or T1622), for --by technique.
	FieldTraceeAttackID = "tracee.attack_id"
	// FieldTraceeEvent holds the complete Tracee event as the agent emitted it (not indexed).
	FieldTraceeEvent = "tracee.event"
)

// Values of event.kind.
const (
	KindAlert = "alert" // a signature event
	KindEvent = "event" // a base event selected for output
)

// Document is one event as indexed: ECS fields plus the full Tracee event under "tracee".
// Optional groups are pointers so that an absent group is absent from the JSON.
type Document struct {
	Timestamp    time.Time     `json:"@timestamp"`
	Message      string        `json:"message,omitempty"`
	ECS          DocECS        `json:"ecs"`
	Agent        *DocAgent     `json:"agent,omitempty"`
	Event        DocEvent      `json:"event"`
	Rule         *DocRule      `json:"rule,omitempty"`
	Threat       *DocThreat    `json:"threat,omitempty"`
	Process      DocProcess    `json:"process"`
	User         DocUser       `json:"user"`
	Host         DocHost       `json:"host"`
	Container    *DocContainer `json:"container,omitempty"`
	Orchestrator *DocOrch      `json:"orchestrator,omitempty"`
	File         *DocFile      `json:"file,omitempty"`
	Destination  *DocEndpoint  `json:"destination,omitempty"`
	Tags         []string      `json:"tags,omitempty"`
	Tracee       DocTracee     `json:"tracee"`
}

// DocECS is ecs.*.
type DocECS struct {
	Version string `json:"version"`
}

// DocEvent is event.*.
type DocEvent struct {
	ID       string    `json:"id"` // the document ID
	Kind     string    `json:"kind"`
	Category []string  `json:"category,omitempty"`
	Type     []string  `json:"type,omitempty"`
	Action   string    `json:"action"` // the Tracee event name
	Code     string    `json:"code"`   // the Tracee event ID
	Severity *int      `json:"severity,omitempty"`
	Module   string    `json:"module"`
	Provider string    `json:"provider"`
	Dataset  string    `json:"dataset"`
	Created  time.Time `json:"created"`
}

// DocRule is rule.*.
type DocRule struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Version     string `json:"version,omitempty"`
	Category    string `json:"category,omitempty"`
	Ruleset     string `json:"ruleset"`
}

// DocThreat is threat.* (MITRE ATT&CK). A sub-technique (T1574.006) is split as ECS wants it:
// technique T1574 with subtechnique T1574.006.
type DocThreat struct {
	Framework string        `json:"framework"`
	Technique *DocTechnique `json:"technique,omitempty"`
	Tactic    *DocTactic    `json:"tactic,omitempty"`
}

// DocTechnique is threat.technique.*.
type DocTechnique struct {
	ID           string     `json:"id,omitempty"`
	Name         string     `json:"name,omitempty"`
	Reference    string     `json:"reference,omitempty"`
	Subtechnique *DocNameID `json:"subtechnique,omitempty"`
}

// DocTactic is threat.tactic.*: arrays, as a technique can serve several tactics.
type DocTactic struct {
	ID        []string `json:"id,omitempty"`
	Name      []string `json:"name,omitempty"`
	Reference []string `json:"reference,omitempty"`
}

// DocNameID is an ECS {id, name, reference} triple.
type DocNameID struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Reference string `json:"reference,omitempty"`
}

// DocAgent is agent.*: the agent that wrote the document.
type DocAgent struct {
	ID      string `json:"id,omitempty"`
	Name    string `json:"name"`
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
}

// DocProcess is process.*; PIDs are the host's (the container's view is under tracee.event).
type DocProcess struct {
	PID        int       `json:"pid"`
	Name       string    `json:"name,omitempty"`
	Executable string    `json:"executable,omitempty"`
	Args       []string  `json:"args,omitempty"`
	EntityID   string    `json:"entity_id,omitempty"`
	Thread     DocThread `json:"thread"`
	Parent     DocParent `json:"parent"`
}

// DocThread is process.thread.*.
type DocThread struct {
	ID int `json:"id"`
}

// DocParent is process.parent.*.
type DocParent struct {
	PID      int    `json:"pid"`
	EntityID string `json:"entity_id,omitempty"`
}

// DocUser is user.*.
type DocUser struct {
	ID string `json:"id"`
}

// DocHost is host.*: the real host (Identity.HostName), never the task's forgeable nodename.
type DocHost struct {
	Name     string `json:"name,omitempty"`
	Hostname string `json:"hostname,omitempty"`
}

// DocContainer is container.*.
type DocContainer struct {
	ID    string    `json:"id"`
	Name  string    `json:"name,omitempty"`
	Image *DocImage `json:"image,omitempty"`
}

// DocImage is container.image.*: the reference split into name and tag, as ECS has them; the
// digest is ECS's container.image.hash.all.
type DocImage struct {
	Name string   `json:"name,omitempty"`
	Tag  []string `json:"tag,omitempty"`
	Hash *DocHash `json:"hash,omitempty"`
}

// DocHash is container.image.hash.*.
type DocHash struct {
	All []string `json:"all"`
}

// DocOrch is orchestrator.* (Kubernetes).
type DocOrch struct {
	Type      string      `json:"type"`
	Namespace string      `json:"namespace,omitempty"`
	Resource  DocResource `json:"resource"`
}

// DocResource is orchestrator.resource.*.
type DocResource struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
	ID   string `json:"id,omitempty"`
}

// DocFile is file.*.
type DocFile struct {
	Path string `json:"path"`
}

// DocEndpoint is destination.*. IP is a string so that a malformed address reaches
// Elasticsearch, is rejected by the ip mapping and is then kept as text (see Rejected).
type DocEndpoint struct {
	IP   string `json:"ip,omitempty"`
	Port int    `json:"port,omitempty"`
}

// DocTracee is our own namespace.
type DocTracee struct {
	// Event is the complete event as the agent emitted it; stored, not indexed. It is the only
	// copy of the event in the document: the other fields are search keys taken from it.
	Event *trace.Event `json:"event"`
	// Args are the arguments by name, indexed as one flattened field so that every value is
	// searchable as a keyword: the event's own (for an alert: the finding data) and, for an
	// alert, its trigger's (tracee.args.pathname). See searchArgs.
	Args map[string]interface{} `json:"args,omitempty"`
	// HostName is the task's UTS nodename as Tracee reports it (hostName); see FieldTraceeHostName.
	HostName string `json:"host_name,omitempty"`
	// AttackID is the ATT&CK ID the rule declares; see FieldTraceeAttackID.
	AttackID string `json:"attack_id,omitempty"`
	// TriggerEvent names the event that fired the signature.
	TriggerEvent string `json:"trigger_event,omitempty"`
	// Rejected holds values Elasticsearch refused for their mapping, moved here as text.
	Rejected []Rejected `json:"rejected,omitempty"`
}

// Rejected is one value moved out of its field because the mapping refused it.
type Rejected struct {
	Field  string `json:"field"`
	Value  string `json:"value"`
	Reason string `json:"reason,omitempty"`
}

// NewDocument converts an event into its ECS document with no agent identity: host.name is then
// the event's nodename. The sink uses Identity.Document.
func NewDocument(ev *trace.Event, now time.Time) Document { return Identity{}.Document(ev, now) }

// Document converts an event into its ECS document. Signature events (domain.FindingToEvent)
// become event.kind=alert with rule.* and threat.*; other events become event.kind=event.
// now is used for event.created and, if the event has no timestamp, for @timestamp.
func (id Identity) Document(ev *trace.Event, now time.Time) Document {
	ts := now.UTC()
	if ev.Timestamp > 0 {
		ts = time.Unix(0, int64(ev.Timestamp)).UTC()
	}
	d := Document{
		Timestamp: ts,
		ECS:       DocECS{Version: ECSVersion},
		Event: DocEvent{
			ID: DocumentID(ev), Kind: KindEvent, Action: ev.EventName, Code: strconv.Itoa(ev.EventID),
			Module: "tracee", Provider: "tracee", Dataset: "tracee.events", Created: now.UTC(),
		},
		Process: DocProcess{
			PID: ev.HostProcessID, Name: ev.ProcessName, Executable: ev.Executable.Path,
			EntityID: entityID(ev.ProcessEntityId), Thread: DocThread{ID: ev.HostThreadID},
			Parent: DocParent{PID: ev.HostParentProcessID, EntityID: entityID(ev.ParentEntityId)},
		},
		User:   DocUser{ID: strconv.Itoa(ev.UserID)},
		Host:   DocHost{Name: ev.HostName, Hostname: ev.HostName},
		Tracee: DocTracee{Event: ev, HostName: ev.HostName},
	}
	if id.HostName != "" {
		d.Host = DocHost{Name: id.HostName, Hostname: id.HostName}
	}
	d.Agent = id.agent()
	d.Container = container(ev)
	if k := ev.Kubernetes; k.PodName != "" || k.PodNamespace != "" || k.PodUID != "" {
		d.Orchestrator = &DocOrch{Type: "kubernetes", Namespace: k.PodNamespace,
			Resource: DocResource{Type: "pod", Name: k.PodName, ID: k.PodUID}}
	}
	// Arguments of the event itself first, then those of the triggering event.
	args := [][]trace.Argument{ev.Args}
	var trigArgs []trace.Argument
	if domain.IsSignatureEvent(ev) {
		var trigName string
		trigName, trigArgs = detectedFrom(ev)
		d.Tracee.TriggerEvent = trigName
		args = append(args, trigArgs)
		d.alert(ev, trigName)
	} else {
		cat, typ := categorize(ev.EventName)
		d.Event.Category, d.Event.Type = slices.Clone(cat), slices.Clone(typ)
	}
	d.Tracee.Args = searchArgs(ev.Args, trigArgs)
	d.File, d.Destination, d.Process.Args = extract(args)
	return d
}

func (d *Document) alert(ev *trace.Event, trigger string) {
	md := ev.Metadata
	props := md.Properties
	d.Event.Kind = KindAlert
	d.Event.Dataset = "tracee.alerts"
	// intrusion_detection/info says "a detector fired"; the trigger's own pair says on what.
	cat, typ := categorize(trigger)
	d.Event.Category = append([]string{"intrusion_detection"}, cat...)
	d.Event.Type = append([]string{"info"}, typ...)
	if sev := domain.PropertyInt(props, "Severity"); sev >= 0 {
		d.Event.Severity = &sev
	}
	d.Rule = &DocRule{
		ID: domain.PropertyString(props, "signatureID"), Name: domain.PropertyString(props, "signatureName"),
		Description: md.Description, Version: md.Version, Category: domain.PropertyString(props, "Category"),
		Ruleset: "tracee",
	}
	d.Message = d.Rule.Name
	if d.Message == "" {
		d.Message = ev.EventName
	}
	d.Tags = md.Tags
	d.Threat = threat(domain.PropertyString(props, "external_id"), domain.PropertyString(props, "Technique"), d.Rule.Category)
	if d.Threat != nil && d.Threat.Technique != nil {
		d.Tracee.AttackID = strings.ToUpper(strings.TrimSpace(domain.PropertyString(props, "external_id")))
	}
}

// detectedFrom reads the name and arguments of the triggering event from the detectedFrom argument.
func detectedFrom(ev *trace.Event) (string, []trace.Argument) {
	a := domain.Arg(ev, argDetectedFrom)
	if a == nil {
		return "", nil
	}
	m, ok := a.Value.(map[string]interface{})
	if !ok {
		return "", nil
	}
	name, _ := m["name"].(string)
	args, _ := m["args"].([]trace.Argument)
	return name, args
}

func container(ev *trace.Event) *DocContainer {
	c := ev.Container
	id := containerID(ev)
	if id == "" {
		return nil
	}
	dc := &DocContainer{ID: id, Name: c.Name}
	if c.ImageName != "" || c.ImageDigest != "" {
		name, tag := domain.SplitImage(c.ImageName)
		dc.Image = &DocImage{Name: name}
		if tag != "" {
			dc.Image.Tag = []string{tag}
		}
		if c.ImageDigest != "" {
			dc.Image.Hash = &DocHash{All: []string{c.ImageDigest}}
		}
	}
	return dc
}

func entityID(id uint32) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatUint(uint64(id), 10)
}

// ECS event.category / event.type pairs; shared, never modified.
var (
	catProcess, catFile, catNetwork = []string{"process"}, []string{"file"}, []string{"network"}
	catConfiguration, catDriver     = []string{"configuration"}, []string{"driver"}
	typStart, typEnd, typAccess     = []string{"start"}, []string{"end"}, []string{"access"}
	typChange, typConnection        = []string{"change"}, []string{"connection"}
)

// categorize maps a Tracee event name to ECS event.category / event.type. The slices are
// shared: callers copy before changing them.
func categorize(name string) ([]string, []string) {
	switch name {
	case "sched_process_exec", "execve", "execveat":
		return catProcess, typStart
	case "sched_process_exit":
		return catProcess, typEnd
	case "sched_process_fork", "clone", "fork", "vfork":
		return catProcess, typStart
	case "ptrace", "process_vm_writev", "mem_prot_alert":
		return catProcess, typAccess
	case "security_file_open", "openat", "open", "magic_write":
		return catFile, typAccess
	case "security_inode_rename", "rename", "renameat", "renameat2":
		return catFile, typChange
	case "security_socket_connect", "connect", "socket_dup":
		return catNetwork, typConnection
	case "security_sb_mount", "mount":
		return catConfiguration, typChange
	case "module_load", "init_module", "finit_module":
		return catDriver, typStart
	}
	return nil, nil
}

// extract finds file.path, destination.* and process.args in well-known Tracee arguments.
func extract(lists [][]trace.Argument) (*DocFile, *DocEndpoint, []string) {
	var file *DocFile
	var dst *DocEndpoint
	var argv []string
	for _, args := range lists {
		for _, a := range args {
			switch a.Name {
			case "pathname", "path", "file_path", "filepath":
				if s, ok := a.Value.(string); ok && s != "" && file == nil {
					file = &DocFile{Path: s}
				}
			case "remote_addr", "dst_addr":
				if dst == nil {
					dst = endpoint(a.Value)
				}
			case "argv":
				if argv == nil {
					argv = stringSlice(a.Value)
				}
			}
		}
	}
	return file, dst, argv
}

// endpoint reads a Tracee sockaddr map: {sa_family, sin_addr, sin_port} or sin6_*.
func endpoint(v interface{}) *DocEndpoint {
	m, ok := v.(map[string]string)
	if !ok {
		mi, ok := v.(map[string]interface{})
		if !ok {
			return nil
		}
		m = make(map[string]string, len(mi))
		for k, x := range mi {
			m[k] = fmt.Sprint(x)
		}
	}
	ip, port := m["sin_addr"], m["sin_port"]
	if ip == "" {
		ip, port = m["sin6_addr"], m["sin6_port"]
	}
	if ip == "" {
		return nil
	}
	e := &DocEndpoint{IP: ip}
	if p, err := strconv.Atoi(port); err == nil {
		e.Port = p
	}
	return e
}

func stringSlice(v interface{}) []string {
	switch s := v.(type) {
	case []string:
		return s
	case []interface{}:
		out := make([]string, 0, len(s))
		for _, x := range s {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return nil
}

// DocumentID is a deterministic ID for an event: the same alert always gets the same ID, so a
// retried or re-spooled alert overwrites itself instead of appearing twice. It hashes what makes an
// event unique: when, where (host, thread, process entity), what (event, signature) and the args.
func DocumentID(ev *trace.Event) string {
	b := appendIDPrefix(nil, ev)
	n := len(b)
	b, err := appendArgs(b, ev.Args) // the bytes of json.Marshal(ev.Args): map keys sorted, stable
	if err != nil {
		b = fmt.Appendf(b[:n], "%v", ev.Args)
	}
	return idOf(b)
}

// IndexName is the daily index of a document: PREFIX-YYYY.MM.DD (UTC).
func IndexName(prefix string, t time.Time) string {
	return prefix + "-" + t.UTC().Format("2006.01.02")
}

// IndexPattern matches every daily index of prefix (for searches, templates and Kibana).
func IndexPattern(prefix string) string { return prefix + "-*" }
