package elasticsearch

import (
	"encoding/json"
	"strings"
	"unicode"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// searchTextFields are matched by free text: the analysed message and description, and the
// keyword fields a responder is likely to type (matched whole).
var searchTextFields = []string{
	FieldMessage, FieldRuleDescriptionText, FieldRuleID, FieldRuleName, FieldEventAction,
	FieldThreatTechniqueID, FieldThreatTechnique, FieldThreatSubID, FieldThreatSub, FieldThreatTactic,
	FieldTraceeAttackID, FieldHostName, FieldContainerID, FieldContainerName,
	FieldProcessName,
}

// searchQuery translates an alert query into a bool query: every filter in filter context (cached,
// not scored), the free text as a query_string whose words are all required.
func (s *Searcher) searchQuery(q domain.AlertQuery) map[string]any {
	filter := []any{searchTerm(FieldEventKind, KindAlert)}
	if !q.Since.IsZero() || !q.Until.IsZero() {
		r := map[string]any{"format": "epoch_millis"}
		if !q.Since.IsZero() {
			r["gte"] = q.Since.UnixMilli()
		}
		if !q.Until.IsZero() {
			r["lt"] = q.Until.UnixMilli()
		}
		filter = append(filter, map[string]any{"range": map[string]any{FieldTimestamp: r}})
	}
	if q.MinSeverity > 0 {
		filter = append(filter, map[string]any{"range": map[string]any{FieldEventSeverity: map[string]any{"gte": q.MinSeverity}}})
	}
	if len(q.Rules) > 0 {
		filter = append(filter, searchAny(searchTerms(FieldRuleID, q.Rules), searchTerms(FieldRuleName, q.Rules),
			searchTerms(FieldEventAction, q.Rules)))
	}
	if len(q.Hosts) > 0 {
		filter = append(filter, searchTerms(FieldHostName, q.Hosts))
	}
	if len(q.Containers) > 0 {
		should := []any{searchTerms(FieldContainerName, q.Containers)}
		for _, c := range q.Containers {
			should = append(should, map[string]any{"prefix": map[string]any{FieldContainerID: c}})
		}
		filter = append(filter, searchAny(should...))
	}
	if len(q.Images) > 0 {
		var should []any
		for _, img := range q.Images {
			name, tag := domain.SplitImage(img)
			m := []any{searchTerm(FieldContainerImage, name)}
			if tag != "" {
				m = append(m, searchTerm(FieldContainerImageTag, tag))
			}
			should = append(should, map[string]any{"bool": map[string]any{"filter": m}})
		}
		filter = append(filter, searchAny(should...))
	}
	if len(q.Pods) > 0 {
		var should []any
		for _, p := range q.Pods {
			ns, name := domain.SplitPod(p)
			m := []any{searchTerm(FieldOrchResourceName, name)}
			if ns != "" {
				m = append(m, searchTerm(FieldOrchNamespace, ns))
			}
			should = append(should, map[string]any{"bool": map[string]any{"filter": m}})
		}
		filter = append(filter, searchAny(should...))
	}
	if len(q.Processes) > 0 {
		filter = append(filter, searchTerms(FieldProcessName, q.Processes))
	}
	if len(q.Techniques) > 0 {
		// T1574 matches the technique and all its sub-techniques; T1574.006 only that one
		filter = append(filter,
			map[string]any{"exists": map[string]any{"field": FieldThreatTechniqueID}},
			searchAny(searchTerms(FieldThreatTechniqueID, q.Techniques), searchTerms(FieldThreatTechnique, q.Techniques),
				searchTerms(FieldThreatSubID, q.Techniques), searchTerms(FieldThreatSub, q.Techniques),
				searchTerms(FieldTraceeAttackID, q.Techniques)))
	}
	b := map[string]any{"filter": filter}
	if text := searchQueryString(q.Text); text != "" {
		b["must"] = []any{map[string]any{"query_string": map[string]any{
			"query": text, "fields": searchTextFields, "default_operator": "AND", "lenient": true,
		}}}
	}
	return map[string]any{"bool": b}
}

func searchTerm(field string, v any) map[string]any {
	return map[string]any{"term": map[string]any{field: v}}
}

func searchTerms(field string, vs []string) map[string]any {
	return map[string]any{"terms": map[string]any{field: vs}}
}

func searchAny(should ...any) map[string]any {
	return map[string]any{"bool": map[string]any{"should": should, "minimum_should_match": 1}}
}

// searchQueryString makes user text safe for query_string: every word is literal except a
// trailing *, which asks for a prefix; words are ANDed (default_operator).
func searchQueryString(text string) string {
	var words []string
	for _, w := range strings.Fields(text) {
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) < 0 {
			continue
		}
		prefix := strings.HasSuffix(w, "*")
		w = strings.TrimRight(w, "*")
		var b strings.Builder
		for _, r := range w {
			if strings.ContainsRune(`+-=&|><!(){}[]^"~*?:\/`, r) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		if prefix {
			b.WriteByte('*')
		}
		words = append(words, b.String())
	}
	return strings.Join(words, " ")
}

// searchSource is the part of a document a search reads; the full event stays raw JSON.
type searchSource struct {
	Document
	Tracee struct {
		Event json.RawMessage `json:"event"`
	} `json:"tracee"`
}

func (d *searchSource) alert() domain.Alert {
	a := domain.Alert{
		Time: d.Timestamp.UTC(), EventName: d.Event.Action, Host: d.Host.Name, Process: d.Process.Name,
		PID: d.Process.PID, Message: d.Message, Event: d.Tracee.Event,
	}
	if d.Event.Severity != nil {
		a.Severity = *d.Event.Severity
	}
	if r := d.Rule; r != nil {
		a.RuleID, a.RuleName, a.Description = r.ID, r.Name, r.Description
	}
	if d.Threat != nil && d.Threat.Technique != nil {
		t := d.Threat.Technique
		a.TechniqueID, a.Technique = t.ID, t.Name
		if s := t.Subtechnique; s != nil {
			a.TechniqueID, a.Technique = s.ID, s.Name
			if t.Name != "" {
				a.Technique = t.Name + ": " + s.Name
			}
		}
	}
	if c := d.Container; c != nil {
		a.ContainerID, a.Container = c.ID, c.Name
		if img := c.Image; img != nil && img.Name != "" {
			a.Image = img.Name
			if len(img.Tag) > 0 {
				a.Image += ":" + img.Tag[0]
			}
		}
	}
	if o := d.Orchestrator; o != nil {
		a.Pod, a.PodNamespace = o.Resource.Name, o.Namespace
	}
	return a
}
