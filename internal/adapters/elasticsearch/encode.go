package elasticsearch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// docEncoder writes the JSON of Identity.Document straight from the event, without building the
// Document or reflecting over it: the sink's hot path. What repeats (the agent, an index name per
// day, threat.* per ATT&CK ID) is encoded once. Safe for concurrent use.
// TestEncoder_matches_Document holds it to Identity.Document.
type docEncoder struct {
	prefix string
	agent  []byte // `,"agent":{...}`, empty without an identity
	host   string // the real host, "" to use the event's nodename

	day atomic.Pointer[cachedIndex]

	mu      sync.Mutex
	threats map[threatKey]threatJSON
}

// threatJSON is `,"threat":{...}` (empty when the rule names no threat) and whether it has a technique.
type threatJSON struct {
	frag         []byte
	hasTechnique bool
}

type cachedIndex struct {
	year  int
	yday  int
	index string
}

type threatKey struct{ id, name, category string }

// maxCachedThreats bounds the threat cache: a rule set has a few hundred ATT&CK IDs at most.
const maxCachedThreats = 4096

var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

func newDocEncoder(id Identity, prefix string) *docEncoder {
	e := &docEncoder{prefix: prefix, host: id.HostName, threats: map[threatKey]threatJSON{}}
	if agent := id.agent(); agent != nil {
		b, _ := json.Marshal(agent) // plain strings: cannot fail
		e.agent = append([]byte(`,"agent":`), b...)
	}
	return e
}

// index is the daily index of t (cached for the current day).
func (e *docEncoder) index(t time.Time) string {
	t = t.UTC()
	y, yd := t.Year(), t.YearDay()
	if d := e.day.Load(); d != nil && d.year == y && d.yday == yd {
		return d.index
	}
	d := &cachedIndex{year: y, yday: yd, index: IndexName(e.prefix, t)}
	e.day.Store(d)
	return d.index
}

func (e *docEncoder) threat(id, name, category string) threatJSON {
	k := threatKey{id, name, category}
	e.mu.Lock()
	tj, ok := e.threats[k]
	e.mu.Unlock()
	if ok {
		return tj
	}
	if t := threat(id, name, category); t != nil {
		j, _ := json.Marshal(t) // strings only: cannot fail
		tj = threatJSON{frag: append([]byte(`,"threat":`), j...), hasTechnique: t.Technique != nil}
	}
	e.mu.Lock()
	if len(e.threats) < maxCachedThreats {
		e.threats[k] = tj
	}
	e.mu.Unlock()
	return tj
}

// encode appends the document of ev to dst and returns it with the document's daily index and
// ID. An error means a value of the event does not encode as JSON.
func (e *docEncoder) encode(dst []byte, ev *trace.Event, now time.Time) (body []byte, index, id string, err error) {
	sp := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(sp)
	idInput := appendIDPrefix((*sp)[:0], ev)
	n := len(idInput)
	var values argValues
	idInput, err = values.appendArgs(idInput, ev.Args)
	*sp = idInput
	if err != nil {
		return dst, "", "", err
	}
	args := idInput[n:]
	id = idOf(idInput)

	ts := now.UTC()
	if ev.Timestamp > 0 {
		ts = time.Unix(0, int64(ev.Timestamp)).UTC()
	}
	alert := domain.IsSignatureEvent(ev)
	var props map[string]interface{}
	var ruleName, trigName string
	var trigArgs []trace.Argument
	if alert {
		props = ev.Metadata.Properties
		ruleName = domain.PropertyString(props, "signatureName")
		trigName, trigArgs = detectedFrom(ev)
	}

	dst = append(dst, `{"@timestamp":"`...)
	dst = append(ts.AppendFormat(dst, time.RFC3339Nano), '"')
	if alert {
		msg := ruleName
		if msg == "" {
			msg = ev.EventName
		}
		if msg != "" {
			dst = appendJSONString(field(dst, "message"), msg)
		}
	}
	dst = append(dst, `,"ecs":{"version":"`+ECSVersion+`"}`...)
	dst = append(dst, e.agent...)

	// event.*
	dst = append(dst, `,"event":{"id":"`...)
	dst = append(dst, id...)
	dst = append(dst, `","kind":`...)
	var cat, typ []string
	if alert {
		dst = append(dst, `"`+KindAlert+`"`...)
		cat, typ = categorize(trigName)
		dst = append(dst, `,"category":["intrusion_detection"`...)
		for _, c := range cat {
			dst = appendJSONString(append(dst, ','), c)
		}
		dst = append(dst, `],"type":["info"`...)
		for _, t := range typ {
			dst = appendJSONString(append(dst, ','), t)
		}
		dst = append(dst, ']')
	} else {
		dst = append(dst, `"`+KindEvent+`"`...)
		if cat, typ = categorize(ev.EventName); len(cat) > 0 {
			dst = appendStrings(field(dst, "category"), cat)
			dst = appendStrings(field(dst, "type"), typ)
		}
	}
	dst = appendJSONString(field(dst, "action"), ev.EventName)
	dst = append(field(dst, "code"), '"')
	dst = append(strconv.AppendInt(dst, int64(ev.EventID), 10), '"')
	if alert {
		if sev := domain.PropertyInt(props, "Severity"); sev >= 0 {
			dst = strconv.AppendInt(field(dst, "severity"), int64(sev), 10)
		}
		dst = append(dst, `,"module":"tracee","provider":"tracee","dataset":"tracee.alerts","created":"`...)
	} else {
		dst = append(dst, `,"module":"tracee","provider":"tracee","dataset":"tracee.events","created":"`...)
	}
	dst = append(now.UTC().AppendFormat(dst, time.RFC3339Nano), '"', '}')

	var attackID string
	if alert {
		md := ev.Metadata
		dst = append(dst, `,"rule":{"id":`...)
		dst = appendJSONString(dst, domain.PropertyString(props, "signatureID"))
		category := domain.PropertyString(props, "Category")
		dst = optString(dst, "name", ruleName)
		dst = optString(dst, "description", md.Description)
		dst = optString(dst, "version", md.Version)
		dst = optString(dst, "category", category)
		dst = append(dst, `,"ruleset":"tracee"}`...)
		ext := domain.PropertyString(props, "external_id")
		th := e.threat(strings.ToUpper(strings.TrimSpace(ext)), domain.PropertyString(props, "Technique"), category)
		dst = append(dst, th.frag...)
		if th.hasTechnique {
			attackID = strings.ToUpper(strings.TrimSpace(ext))
		}
	}

	// process.*
	dst = append(dst, `,"process":{"pid":`...)
	dst = strconv.AppendInt(dst, int64(ev.HostProcessID), 10)
	dst = optString(dst, "name", ev.ProcessName)
	dst = optString(dst, "executable", ev.Executable.Path)
	lists := [2][]trace.Argument{ev.Args, trigArgs}
	path, ip, port, argv, argvFound := extractRefs(lists[:])
	if argvFound && len(argv) > 0 {
		dst = appendStrings(field(dst, "args"), argv)
	}
	if ev.ProcessEntityId != 0 {
		dst = append(field(dst, "entity_id"), '"')
		dst = append(strconv.AppendUint(dst, uint64(ev.ProcessEntityId), 10), '"')
	}
	dst = append(dst, `,"thread":{"id":`...)
	dst = strconv.AppendInt(dst, int64(ev.HostThreadID), 10)
	dst = append(dst, `},"parent":{"pid":`...)
	dst = strconv.AppendInt(dst, int64(ev.HostParentProcessID), 10)
	if ev.ParentEntityId != 0 {
		dst = append(field(dst, "entity_id"), '"')
		dst = append(strconv.AppendUint(dst, uint64(ev.ParentEntityId), 10), '"')
	}
	dst = append(dst, `}}`...)

	dst = append(dst, `,"user":{"id":"`...)
	dst = append(strconv.AppendInt(dst, int64(ev.UserID), 10), '"', '}')
	host := e.host
	if host == "" {
		host = ev.HostName
	}
	dst = append(dst, `,"host":{`...)
	if host != "" {
		dst = appendJSONString(append(dst, `"name":`...), host)
		dst = appendJSONString(field(dst, "hostname"), host)
	}
	dst = append(dst, '}')

	if cid := containerID(ev); cid != "" {
		c := ev.Container
		dst = appendJSONString(append(dst, `,"container":{"id":`...), cid)
		dst = optString(dst, "name", c.Name)
		if c.ImageName != "" || c.ImageDigest != "" {
			dst = append(dst, `,"image":{`...)
			name, tag := domain.SplitImage(c.ImageName)
			dst = optString(dst, "name", name)
			if tag != "" {
				if dst[len(dst)-1] != '{' {
					dst = append(dst, ',')
				}
				dst = appendJSONString(append(dst, `"tag":[`...), tag)
				dst = append(dst, ']')
			}
			if c.ImageDigest != "" {
				if dst[len(dst)-1] != '{' {
					dst = append(dst, ',')
				}
				dst = appendJSONString(append(dst, `"hash":{"all":[`...), c.ImageDigest)
				dst = append(dst, `]}`...)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, '}')
	}
	if k := ev.Kubernetes; k.PodName != "" || k.PodNamespace != "" || k.PodUID != "" {
		dst = append(dst, `,"orchestrator":{"type":"kubernetes"`...)
		dst = optString(dst, "namespace", k.PodNamespace)
		dst = append(dst, `,"resource":{"type":"pod"`...)
		dst = optString(dst, "name", k.PodName)
		dst = optString(dst, "id", k.PodUID)
		dst = append(dst, `}}`...)
	}
	if path != "" {
		dst = appendJSONString(append(dst, `,"file":{"path":`...), path)
		dst = append(dst, '}')
	}
	if ip != "" {
		dst = appendJSONString(append(dst, `,"destination":{"ip":`...), ip)
		if p, err := strconv.Atoi(port); err == nil && p != 0 {
			dst = strconv.AppendInt(field(dst, "port"), int64(p), 10)
		}
		dst = append(dst, '}')
	}
	if alert && len(ev.Metadata.Tags) > 0 {
		dst = appendStrings(field(dst, "tags"), ev.Metadata.Tags)
	}

	// tracee.*: the event once, then the search keys taken from it
	dst = append(dst, `,"tracee":{"event":`...)
	if dst, err = appendEvent(dst, ev, args); err != nil {
		return dst, "", "", err
	}
	if dst, err = appendSearchArgs(dst, ev.Args, trigArgs, &values, idInput); err != nil {
		return dst, "", "", err
	}
	dst = optString(dst, "host_name", ev.HostName)
	dst = optString(dst, "attack_id", attackID)
	dst = optString(dst, "trigger_event", trigName)
	dst = append(dst, `}}`...)
	return dst, e.index(ts), id, nil
}

// containerID is container.id: the enriched container's ID, else the event's.
func containerID(ev *trace.Event) string {
	if ev.Container.ID != "" {
		return ev.Container.ID
	}
	return ev.ContainerID
}

// appendSearchArgs appends ,"args":{...}: searchArgs without building its map. Values recorded
// in values (spans of src) are copied, the others encoded.
func appendSearchArgs(dst []byte, own, trigger []trace.Argument, values *argValues, src []byte) ([]byte, error) {
	type pick struct {
		list []trace.Argument
		i    int
	}
	var arr [32]pick
	picked := arr[:0]
	for li, list := range [2][]trace.Argument{own, trigger} {
		replace := li == 0 // the event's own arguments: skip detectedFrom, the last of a name wins
	next:
		for i := range list {
			a := &list[i]
			if replace && a.Name == argDetectedFrom {
				continue
			}
			for j, p := range picked {
				if p.list[p.i].Name == a.Name {
					if replace {
						picked[j] = pick{list, i}
					}
					continue next
				}
			}
			picked = append(picked, pick{list, i})
		}
	}
	if len(picked) == 0 {
		return dst, nil
	}
	dst = append(dst, `,"args":{`...)
	for i, p := range picked {
		if i > 0 {
			dst = append(dst, ',')
		}
		a := &p.list[p.i]
		dst = append(appendJSONString(dst, a.Name), ':')
		if enc, ok := values.of(src, p.list, p.i); ok {
			dst = append(dst, enc...)
			continue
		}
		var err error
		if dst, err = appendJSONValue(dst, a.Value); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// argDetectedFrom is the argument of a signature event holding the triggering event.
const argDetectedFrom = "detectedFrom"

// searchArgs is tracee.args: the event's arguments by name and, for an alert, its trigger's
// (the finding's own data wins a clash). detectedFrom is left out: the trigger is already in
// tracee.event, whole, and its arguments are here by name.
func searchArgs(own, trigger []trace.Argument) map[string]interface{} {
	if len(own)+len(trigger) == 0 {
		return nil
	}
	m := make(map[string]interface{}, len(own)+len(trigger))
	for _, a := range own {
		if a.Name != argDetectedFrom {
			m[a.Name] = a.Value
		}
	}
	for _, a := range trigger {
		if _, ok := m[a.Name]; !ok {
			m[a.Name] = a.Value
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// extractRefs finds file.path, destination.* and process.args in well-known Tracee arguments,
// first match wins (see extract).
func extractRefs(lists [][]trace.Argument) (path, ip, port string, argv []string, argvFound bool) {
	for _, args := range lists {
		for i := range args {
			a := &args[i]
			switch a.Name {
			case "pathname", "path", "file_path", "filepath":
				if s, ok := a.Value.(string); ok && s != "" && path == "" {
					path = s
				}
			case "remote_addr", "dst_addr":
				if ip == "" {
					ip, port = endpointAddr(a.Value)
				}
			case "argv":
				if !argvFound {
					switch s := a.Value.(type) {
					case []string:
						argv, argvFound = s, s != nil
					case []interface{}:
						argv, argvFound = stringSlice(s), true
					}
				}
			}
		}
	}
	return path, ip, port, argv, argvFound
}

// endpointAddr reads the address and port of a Tracee sockaddr map.
func endpointAddr(v interface{}) (ip, port string) {
	if ip, port = sockaddrField(v, "sin_addr"), sockaddrField(v, "sin_port"); ip == "" {
		ip, port = sockaddrField(v, "sin6_addr"), sockaddrField(v, "sin6_port")
	}
	return ip, port
}

func sockaddrField(v interface{}, k string) string {
	switch m := v.(type) {
	case map[string]string:
		return m[k]
	case map[string]interface{}:
		if x, ok := m[k]; ok {
			return fmt.Sprint(x)
		}
	}
	return ""
}

// appendIDPrefix appends what identifies an event besides its arguments, in the order and form of
// the original fmt.Fprintf("%d\x00%s\x00...") so that IDs stay what they were.
func appendIDPrefix(b []byte, ev *trace.Event) []byte {
	sig := ""
	if ev.Metadata != nil {
		sig = domain.PropertyString(ev.Metadata.Properties, "signatureID")
	}
	b = append(strconv.AppendInt(b, int64(ev.Timestamp), 10), 0)
	b = append(append(b, ev.HostName...), 0)
	b = append(strconv.AppendInt(b, int64(ev.HostProcessID), 10), 0)
	b = append(strconv.AppendInt(b, int64(ev.HostThreadID), 10), 0)
	b = append(strconv.AppendUint(b, uint64(ev.ProcessEntityId), 10), 0)
	b = append(strconv.AppendUint(b, uint64(ev.CgroupID), 10), 0)
	b = append(append(b, ev.EventName...), 0)
	b = append(strconv.AppendInt(b, int64(ev.EventID), 10), 0)
	return append(append(b, sig...), 0)
}

// idOf is the document ID of an ID input: 16 bytes of its SHA-256, in hex.
func idOf(input []byte) string {
	sum := sha256.Sum256(input)
	var out [32]byte
	hex.Encode(out[:], sum[:16])
	return string(out[:])
}
