package elasticsearch

import (
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// ecsReference is Elastic's ECS field table (npm @elastic/ecs, trimmed by scripts/ecs-reference.sh).
const ecsReference = "testdata/ecs/ecs_flat-8.11.1.json"

type ecsField struct {
	Type    string              `json:"type"`
	Array   bool                `json:"array"`
	Allowed map[string][]string `json:"allowed"` // allowed value -> expected event.type values (categories)
}

func loadECS(t *testing.T) map[string]ecsField {
	t.Helper()
	b, err := os.ReadFile(ecsReference)
	require.NoError(t, err)
	var ref struct {
		Fields map[string]ecsField `json:"fields"`
	}
	require.NoError(t, json.Unmarshal(b, &ref))
	require.NotEmpty(t, ref.Fields)
	return ref.Fields
}

// flatten lists every leaf of a decoded document by dotted path; arrays of scalars are one leaf.
func flatten(prefix string, v interface{}, out map[string]interface{}) {
	if m, ok := v.(map[string]interface{}); ok {
		for k, x := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, x, out)
		}
		return
	}
	out[prefix] = v
}

// ecsSamples are documents of every shape the sink writes: alerts fired by each kind of trigger,
// with a technique, a sub-technique and none, and base events.
func ecsSamples(t *testing.T) map[string]Document {
	id := Identity{HostName: "real-host", AgentID: "0123456789abcdef0123456789abcdef", AgentVersion: "v1.2.3"}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	out := map[string]Document{}
	net := testAlert(1_764_000_000_000_000_000, "10.96.0.1")
	out["alert network"] = id.Document(&net, now)
	for _, c := range []struct{ trigger, extID, cat string }{
		{"ptrace", "T1622", "defense-evasion"}, {"security_file_open", "T1574.006", "defense-evasion"},
		{"security_inode_rename", "T1053.003", "persistence"}, {"security_sb_mount", "T1611", "privilege-escalation"},
		{"module_load", "T1547.006", "persistence"}, {"sched_process_exec", "T1620", ""},
		{"mem_prot_alert", "", ""}, {"bpf", "T1014", "defense-evasion"},
	} {
		ev := alertFrom(c.trigger, c.extID, c.cat)
		out["alert from "+c.trigger] = id.Document(&ev, now)
	}
	for _, name := range []string{"sched_process_exec", "sched_process_exit", "security_file_open",
		"security_socket_connect", "security_sb_mount", "module_load", "openat", "unknown_event"} {
		ev := trace.Event{Timestamp: 1, EventName: name, HostName: "pod-1", HostProcessID: 9}
		out["event "+name] = id.Document(&ev, now)
	}
	return out
}

func alertFrom(trigger, extID, cat string) trace.Event {
	ev := testAlert(1_764_000_000_000_000_000, "10.0.0.1")
	for i, a := range ev.Args {
		if a.Name == "detectedFrom" {
			m := a.Value.(map[string]interface{})
			m["name"] = trigger
			ev.Args[i].Value = m
		}
	}
	ev.Metadata.Properties["external_id"] = extID
	ev.Metadata.Properties["Category"] = cat
	ev.Metadata.Properties["Technique"] = ""
	return ev
}

// Every field outside our tracee.* namespace is an ECS field, with a JSON value its ECS type takes.
func TestDocument_fields_are_ECS_fields_of_the_right_type(t *testing.T) {
	ecs := loadECS(t)
	for name, d := range ecsSamples(t) {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(d)
			require.NoError(t, err)
			var m map[string]interface{}
			require.NoError(t, json.Unmarshal(b, &m))
			leaves := map[string]interface{}{}
			flatten("", m, leaves)
			for path, v := range leaves {
				if strings.HasPrefix(path, "tracee.") {
					continue
				}
				f, ok := ecs[path]
				if !assert.True(t, ok, "%s is not an ECS field (put it under tracee.)", path) {
					continue
				}
				if arr, isArr := v.([]interface{}); isArr {
					assert.True(t, f.Array || true, path) // ECS lets any field hold an array
					for _, x := range arr {
						assertECSValue(t, path, f.Type, x)
					}
				} else {
					assertECSValue(t, path, f.Type, v)
				}
			}
		})
	}
}

func assertECSValue(t *testing.T, path, typ string, v interface{}) {
	t.Helper()
	switch typ {
	case "keyword", "constant_keyword", "wildcard", "match_only_text", "text", "ip", "flattened":
		_, ok := v.(string)
		assert.True(t, ok, "%s is %s in ECS but the document holds %T %v", path, typ, v, v)
	case "long", "integer", "short", "byte", "float", "scaled_float", "double":
		_, ok := v.(float64)
		assert.True(t, ok, "%s is %s in ECS but the document holds %T %v", path, typ, v, v)
	case "date":
		s, ok := v.(string)
		_, err := time.Parse(time.RFC3339Nano, s)
		assert.True(t, ok && err == nil, "%s is a date in ECS but the document holds %v", path, v)
	case "boolean":
		_, ok := v.(bool)
		assert.True(t, ok, "%s is boolean in ECS but the document holds %T", path, v)
	default:
		t.Errorf("%s: ECS type %s not checked by this test", path, typ)
	}
}

// event.kind, event.category and event.type take ECS's allowed values, and the pairs fit: every
// type is one that a listed category expects, and every category has one of its expected types.
func TestDocument_event_categorization_is_allowed_by_ECS(t *testing.T) {
	ecs := loadECS(t)
	kinds, cats, types := ecs["event.kind"].Allowed, ecs["event.category"].Allowed, ecs["event.type"].Allowed
	for name, d := range ecsSamples(t) {
		t.Run(name, func(t *testing.T) {
			e := d.Event
			assert.Contains(t, kinds, e.Kind)
			if e.Kind == KindAlert {
				assert.Contains(t, e.Category, "intrusion_detection")
			}
			assert.Equal(t, len(e.Category) == 0, len(e.Type) == 0, "category %v with type %v", e.Category, e.Type)
			for _, c := range e.Category {
				require.Contains(t, cats, c)
				assert.True(t, slices.ContainsFunc(e.Type, func(ty string) bool { return slices.Contains(cats[c], ty) }),
					"category %s expects one of %v, the document has types %v", c, cats[c], e.Type)
			}
			for _, ty := range e.Type {
				require.Contains(t, types, ty)
				assert.True(t, slices.ContainsFunc(e.Category, func(c string) bool { return slices.Contains(cats[c], ty) }),
					"type %s is expected by none of the categories %v", ty, e.Category)
			}
		})
	}
}

// Every ECS field a document carries is mapped by the index template with ECS's type (a keyword
// family type for keyword; the template may add a .text multi-field).
func TestIndexTemplate_maps_ECS_fields_with_ECS_types(t *testing.T) {
	ecs := loadECS(t)
	props := templateMappingProps(t)
	seen := map[string]bool{}
	for _, d := range ecsSamples(t) {
		b, _ := json.Marshal(d)
		var m map[string]interface{}
		require.NoError(t, json.Unmarshal(b, &m))
		leaves := map[string]interface{}{}
		flatten("", m, leaves)
		for p := range leaves {
			seen[p] = true
		}
	}
	var paths []string
	for p := range seen {
		if !strings.HasPrefix(p, "tracee.") {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	compatible := map[string][]string{"keyword": {"keyword"}, "wildcard": {"keyword"}, "match_only_text": {"text"},
		"text": {"text"}, "long": {"long"}, "date": {"date"}, "ip": {"ip"}, "flattened": {"flattened"}}
	for _, p := range paths {
		got, ok := mappingType(props, p)
		if !assert.True(t, ok, "%s is in documents but not in the index template", p) {
			continue
		}
		assert.Contains(t, compatible[ecs[p].Type], got, "%s: ECS %s, template %s", p, ecs[p].Type, got)
	}
}

// templateMappingProps is the mapping of the index template as Elasticsearch receives it (JSON).
func templateMappingProps(t *testing.T) map[string]interface{} {
	t.Helper()
	var tpl struct {
		Template struct {
			Mappings struct {
				Properties map[string]interface{} `json:"properties"`
			} `json:"mappings"`
		} `json:"template"`
	}
	require.NoError(t, json.Unmarshal(IndexTemplate(DefaultIndexPrefix, 0), &tpl))
	return tpl.Template.Mappings.Properties
}
