package elasticsearch

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kibanaObjects is the Kibana saved-objects file shipped for the Elasticsearch output.
const kibanaObjects = "../../../deploy/kibana/tracee-dashboard.ndjson"

type savedObject struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	Attributes map[string]any `json:"attributes"`
	References []struct {
		Name string `json:"name"`
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"references"`
}

// The saved objects are valid NDJSON, every reference resolves inside the file, and every field
// the data view and visualizations use is mapped by the index template, aggregatable where it is
// aggregated.
func TestKibanaSavedObjects_are_well_formed_and_use_mapped_fields(t *testing.T) {
	f, err := os.Open(kibanaObjects)
	require.NoError(t, err)
	defer f.Close()
	var objs []savedObject
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var o savedObject
		require.NoError(t, json.Unmarshal(sc.Bytes(), &o), "line %d is not one JSON object", line)
		require.NotEmpty(t, o.ID, "line %d", line)
		require.NotEmpty(t, o.Type, "line %d", line)
		objs = append(objs, o)
	}
	require.NoError(t, sc.Err())
	byKey := map[string]savedObject{}
	types := map[string]int{}
	for _, o := range objs {
		key := o.Type + "/" + o.ID
		require.NotContains(t, byKey, key, "duplicate object")
		byKey[key] = o
		types[o.Type]++
	}
	assert.Equal(t, 1, types["index-pattern"])
	assert.Equal(t, 1, types["dashboard"])
	assert.GreaterOrEqual(t, types["visualization"], 4, "over time, by rule, by host, by technique")

	props := templateMappingProps(t)
	aggregatable := map[string]bool{"keyword": true, "long": true, "date": true, "ip": true}
	kqlField := regexp.MustCompile(`([A-Za-z@_][A-Za-z0-9_.]*)\s*:`)

	for _, o := range objs {
		refs := map[string]bool{}
		for _, r := range o.References {
			assert.Contains(t, byKey, r.Type+"/"+r.ID, "%s/%s references a missing %s/%s", o.Type, o.ID, r.Type, r.ID)
			refs[r.Name] = true
		}
		searchSource := map[string]any{}
		if meta, ok := o.Attributes["kibanaSavedObjectMeta"].(map[string]any); ok {
			require.NoError(t, json.Unmarshal([]byte(meta["searchSourceJSON"].(string)), &searchSource), o.ID)
			if name, ok := searchSource["indexRefName"].(string); ok {
				assert.True(t, refs[name], "%s: indexRefName %s has no reference", o.ID, name)
			}
			if q, ok := searchSource["query"].(map[string]any); ok {
				for _, m := range kqlField.FindAllStringSubmatch(q["query"].(string), -1) {
					_, mapped := mappingType(props, m[1])
					assert.True(t, mapped, "%s: query field %s is not in the index template", o.ID, m[1])
				}
			}
		}
		switch o.Type {
		case "index-pattern":
			assert.Equal(t, IndexPattern(DefaultIndexPrefix), o.Attributes["title"])
			typ, _ := mappingType(props, o.Attributes["timeFieldName"].(string))
			assert.Equal(t, "date", typ)
		case "visualization":
			var vs struct {
				Aggs []struct {
					Type   string         `json:"type"`
					Params map[string]any `json:"params"`
				} `json:"aggs"`
			}
			require.NoError(t, json.Unmarshal([]byte(o.Attributes["visState"].(string)), &vs), o.ID)
			require.NotEmpty(t, vs.Aggs, o.ID)
			for _, a := range vs.Aggs {
				field, ok := a.Params["field"].(string)
				if !ok {
					continue
				}
				typ, mapped := mappingType(props, field)
				if assert.True(t, mapped, "%s: field %s is not in the index template", o.ID, field) {
					assert.True(t, aggregatable[typ], "%s: %s aggregates %s, a %s field", o.ID, a.Type, field, typ)
				}
			}
		case "dashboard":
			var panels []struct {
				PanelRefName string `json:"panelRefName"`
			}
			require.NoError(t, json.Unmarshal([]byte(o.Attributes["panelsJSON"].(string)), &panels))
			require.NotEmpty(t, panels)
			for _, p := range panels {
				assert.True(t, refs[p.PanelRefName], "dashboard panel %s has no reference", p.PanelRefName)
			}
		}
	}
}
