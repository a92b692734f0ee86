package elasticsearch

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// testAlert builds a signature event the way the engine does, from a security_socket_connect
// event in a Kubernetes container.
func testAlert(ts int, ip string) trace.Event {
	trigger := trace.Event{
		Timestamp: ts, ProcessID: 7, ThreadID: 7, HostProcessID: 4242, HostThreadID: 4243,
		HostParentProcessID: 4000, UserID: 1000, ProcessName: "curl",
		Executable: trace.File{Path: "/usr/bin/curl"}, HostName: "node-1", ContainerID: "c0ffee",
		Container:  trace.Container{ID: "c0ffee", Name: "web", ImageName: "nginx:1.27", ImageDigest: "sha256:abc"},
		Kubernetes: trace.Kubernetes{PodName: "web-0", PodNamespace: "prod", PodUID: "uid-1"},
		EventID:    700, EventName: "security_socket_connect", ProcessEntityId: 11, ParentEntityId: 10,
		ContextFlags: trace.ContextFlags{ContainerStarted: true},
		Args: []trace.Argument{
			{ArgMeta: trace.ArgMeta{Name: "sockfd", Type: "int"}, Value: 3},
			{ArgMeta: trace.ArgMeta{Name: "remote_addr", Type: "struct sockaddr*"},
				Value: map[string]string{"sa_family": "AF_INET", "sin_addr": ip, "sin_port": "443"}},
		},
	}
	f := &detect.Finding{
		Data:  map[string]interface{}{"ip": ip, "port": "443"},
		Event: trigger.ToProtocol(),
		SigMetadata: detect.SignatureMetadata{
			ID: "TRC-1013", Version: "1", Name: "K8s API server connection detected",
			EventName: "k8s_api_connection", Description: "A connection to the Kubernetes API server",
			Tags: []string{"linux", "container"},
			Properties: map[string]interface{}{"Severity": 0, "Category": "discovery",
				"Technique": "Cloud Service Discovery", "external_id": "T1526"},
		},
	}
	return domain.FindingToEvent(f, 6013)
}

func TestNewDocument_alert_maps_ECS_fields(t *testing.T) {
	ev := testAlert(1_764_000_000_123_456_789, "10.96.0.1")
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	d := NewDocument(&ev, now)

	assert.Equal(t, time.Unix(0, 1_764_000_000_123_456_789).UTC(), d.Timestamp)
	assert.Equal(t, KindAlert, d.Event.Kind)
	require.NotNil(t, d.Event.Severity)
	assert.Equal(t, 0, *d.Event.Severity)
	assert.Equal(t, []string{"intrusion_detection", "network"}, d.Event.Category)
	assert.Equal(t, "k8s_api_connection", d.Event.Action)
	assert.Equal(t, "6013", d.Event.Code)
	assert.Equal(t, DocumentID(&ev), d.Event.ID)
	require.NotNil(t, d.Rule)
	assert.Equal(t, DocRule{ID: "TRC-1013", Name: "K8s API server connection detected",
		Description: "A connection to the Kubernetes API server", Version: "1", Category: "discovery",
		Ruleset: "tracee"}, *d.Rule)
	require.NotNil(t, d.Threat)
	assert.Equal(t, "MITRE ATT&CK", d.Threat.Framework)
	assert.Equal(t, &DocTechnique{ID: "T1526", Name: "Cloud Service Discovery",
		Reference: "https://attack.mitre.org/techniques/T1526/"}, d.Threat.Technique)
	assert.Equal(t, &DocTactic{ID: []string{"TA0007"}, Name: []string{"Discovery"},
		Reference: []string{"https://attack.mitre.org/tactics/TA0007/"}}, d.Threat.Tactic)
	assert.Equal(t, "T1526", d.Tracee.AttackID)
	assert.Equal(t, []string{"info", "connection"}, d.Event.Type)
	assert.Equal(t, DocProcess{PID: 4242, Name: "curl", Executable: "/usr/bin/curl", EntityID: "11",
		Thread: DocThread{ID: 4243}, Parent: DocParent{PID: 4000, EntityID: "10"}}, d.Process)
	assert.Equal(t, "1000", d.User.ID)
	assert.Equal(t, DocHost{Name: "node-1", Hostname: "node-1"}, d.Host)
	assert.Equal(t, &DocContainer{ID: "c0ffee", Name: "web", Image: &DocImage{Name: "nginx", Tag: []string{"1.27"}, Hash: &DocHash{All: []string{"sha256:abc"}}}}, d.Container)
	assert.Equal(t, &DocOrch{Type: "kubernetes", Namespace: "prod", Resource: DocResource{Type: "pod", Name: "web-0", ID: "uid-1"}}, d.Orchestrator)
	assert.Equal(t, &DocEndpoint{IP: "10.96.0.1", Port: 443}, d.Destination)
	assert.Equal(t, []string{"linux", "container"}, d.Tags)
	assert.Equal(t, "security_socket_connect", d.Tracee.TriggerEvent)
	assert.Equal(t, "10.96.0.1", d.Tracee.Args["ip"])
	assert.Same(t, &ev, d.Tracee.Event)
}

func TestNewDocument_json_has_ECS_names(t *testing.T) {
	ev := testAlert(1_764_000_000_000_000_000, "10.0.0.1")
	b, err := json.Marshal(NewDocument(&ev, time.Now()))
	require.NoError(t, err)
	var m map[string]interface{}
	require.NoError(t, json.Unmarshal(b, &m))
	for _, f := range []string{FieldTimestamp, FieldEventKind, FieldEventSeverity, FieldRuleID, FieldRuleName,
		FieldThreatTechniqueID, FieldThreatTactic, FieldProcessPID, FieldProcessEntityID, FieldUserID,
		FieldHostName, FieldContainerID, FieldContainerImage, FieldDestinationIP, FieldTraceeEvent,
		"tracee.event.eventName", "tracee.args.ip", "tracee.args.sockfd", "orchestrator.resource.name"} {
		_, ok := lookup(m, f)
		assert.True(t, ok, "field %s missing from %s", f, b)
	}
	// the event is stored once: its trigger is in tracee.event only, its arguments are searched by name
	for _, f := range []string{"tracee.args.detectedFrom", "observer"} {
		_, ok := lookup(m, f)
		assert.False(t, ok, "field %s duplicates what the document already has", f)
	}
}

func TestNewDocument_base_event(t *testing.T) {
	ev := trace.Event{Timestamp: 5, EventName: "sched_process_exec", HostName: "h",
		Args: []trace.Argument{
			{ArgMeta: trace.ArgMeta{Name: "pathname"}, Value: "/bin/sh"},
			{ArgMeta: trace.ArgMeta{Name: "argv"}, Value: []string{"sh", "-c", "id"}},
		}}
	d := NewDocument(&ev, time.Now())
	assert.Equal(t, KindEvent, d.Event.Kind)
	assert.Nil(t, d.Rule)
	assert.Nil(t, d.Threat)
	assert.Nil(t, d.Container)
	assert.Nil(t, d.Event.Severity)
	assert.Equal(t, &DocFile{Path: "/bin/sh"}, d.File)
	assert.Equal(t, []string{"sh", "-c", "id"}, d.Process.Args)
	assert.Equal(t, []string{"process"}, d.Event.Category)
}

func TestNewDocument_no_timestamp_uses_now(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	d := NewDocument(&trace.Event{EventName: "x"}, now)
	assert.Equal(t, now, d.Timestamp)
}

func TestDocumentID(t *testing.T) {
	a := testAlert(100, "10.0.0.1")
	tests := []struct {
		name string
		mod  func(e *trace.Event)
		same bool
	}{
		{name: "same event", mod: func(e *trace.Event) {}, same: true},
		{name: "copy with same args", mod: func(e *trace.Event) { e.Args = append([]trace.Argument(nil), e.Args...) }, same: true},
		{name: "other time", mod: func(e *trace.Event) { e.Timestamp++ }},
		{name: "other thread", mod: func(e *trace.Event) { e.HostThreadID++ }},
		{name: "other host", mod: func(e *trace.Event) { e.HostName = "node-2" }},
		{name: "other signature", mod: func(e *trace.Event) {
			e.Metadata = &trace.Metadata{Properties: map[string]interface{}{"signatureID": "TRC-1"}}
		}},
		{name: "other finding data", mod: func(e *trace.Event) { e.Args = e.Args[1:] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := testAlert(100, "10.0.0.1")
			tt.mod(&b)
			assert.Len(t, DocumentID(&a), 32)
			if tt.same {
				assert.Equal(t, DocumentID(&a), DocumentID(&b))
			} else {
				assert.NotEqual(t, DocumentID(&a), DocumentID(&b))
			}
		})
	}
}

func TestIndexName(t *testing.T) {
	tests := []struct {
		name, prefix string
		t            time.Time
		want         string
	}{
		{"utc", DefaultIndexPrefix, time.Date(2026, 11, 7, 23, 59, 0, 0, time.UTC), "tracee-alerts-2026.11.07"},
		{"converted to utc", "p", time.Date(2026, 11, 8, 1, 0, 0, 0, time.FixedZone("x", 2*3600)), "p-2026.11.07"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, IndexName(tt.prefix, tt.t)) })
	}
	assert.Equal(t, "tracee-alerts-*", IndexPattern(DefaultIndexPrefix))
}

func TestIndexTemplate_maps_every_document_field(t *testing.T) {
	var tpl struct {
		IndexPatterns []string `json:"index_patterns"`
		Template      struct {
			Settings map[string]interface{} `json:"settings"`
			Mappings struct {
				Properties map[string]interface{} `json:"properties"`
			} `json:"mappings"`
		} `json:"template"`
	}
	require.NoError(t, json.Unmarshal(IndexTemplate("x", 0), &tpl))
	assert.Equal(t, []string{"x-*"}, tpl.IndexPatterns)
	want := map[string]string{
		FieldTimestamp: "date", FieldEventSeverity: "long", FieldEventKind: "keyword", FieldRuleID: "keyword",
		FieldProcessPID: "long", FieldDestinationIP: "ip", "destination.port": "long", FieldTraceeArgs: "flattened",
		"event.created": "date", FieldThreatTechniqueID: "keyword", FieldFilePath: "keyword",
		"tracee.rejected.value": "text",
	}
	for field, typ := range want {
		got, ok := mappingType(tpl.Template.Mappings.Properties, field)
		assert.True(t, ok, field)
		assert.Equal(t, typ, got, field)
	}
}

// lookup reads a dotted path from decoded JSON.
func lookup(m map[string]interface{}, path string) (interface{}, bool) {
	var cur interface{} = m
	for _, p := range splitPath(path) {
		mm, ok := cur.(map[string]interface{})
		if !ok {
			return nil, false
		}
		if cur, ok = mm[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// mappingType reads the type of a dotted field from mapping properties.
func mappingType(props map[string]interface{}, path string) (string, bool) {
	parts := splitPath(path)
	cur := props
	for i, p := range parts {
		f, ok := cur[p].(map[string]interface{})
		if !ok {
			return "", false
		}
		if i == len(parts)-1 {
			typ, _ := f["type"].(string)
			return typ, true
		}
		if cur, ok = f["properties"].(map[string]interface{}); !ok {
			return "", false
		}
	}
	return "", false
}

func splitPath(path string) []string {
	if path == FieldTimestamp {
		return []string{path}
	}
	var out []string
	start := 0
	for i := 0; i < len(path); i++ {
		if path[i] == '.' {
			out = append(out, path[start:i])
			start = i + 1
		}
	}
	return append(out, path[start:])
}
