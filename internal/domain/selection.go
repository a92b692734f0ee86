package domain

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Selection says which events the agent emits and which base events the source must produce.
type Selection struct {
	// Emit are the events written to the outputs.
	Emit map[string]bool
	// Need are the base (non-signature) events the source must produce: Emit's base events plus
	// every dependency of the selected signature events.
	Need map[string]bool
	// Signatures are the signature event names whose signatures run.
	Signatures map[string]bool
}

// UnknownEventError is returned for a name that is neither an event, a set nor a matching glob.
type UnknownEventError struct {
	Name        string
	Suggestions []string
}

func (e *UnknownEventError) Error() string {
	msg := fmt.Sprintf("unknown event or set %q", e.Name)
	if len(e.Suggestions) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", strings.Join(e.Suggestions, ", "))
	}
	return msg + " (run 'tracee list' to see every event)"
}

// Select resolves user-given names (event names, set names such as "signatures" or "default",
// and globs such as "security_*") against the catalog. With no names, every signature event is
// selected, as Tracee does by default.
func Select(cat *Catalog, names []string) (Selection, error) {
	sel := Selection{Emit: map[string]bool{}, Need: map[string]bool{}, Signatures: map[string]bool{}}
	if len(names) == 0 {
		names = []string{"signatures"}
	}
	for _, raw := range names {
		for _, name := range strings.Split(raw, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			matched := resolveName(cat, name)
			if len(matched) == 0 {
				if name == "signatures" {
					continue // no signatures loaded: nothing to select, and not a user error
				}
				return Selection{}, &UnknownEventError{Name: name, Suggestions: Suggest(name, append(cat.Names(), setNames(cat)...))}
			}
			for _, d := range matched {
				sel.Emit[d.Name] = true
			}
		}
	}
	for name := range sel.Emit {
		sel.addNeeds(cat, name, 0)
	}
	return sel, nil
}

func (s *Selection) addNeeds(cat *Catalog, name string, depth int) {
	d, ok := cat.Lookup(name)
	if !ok || depth > maxChainDepth {
		return
	}
	if d.Kind != KindSignature {
		s.Need[name] = true
		return
	}
	s.Signatures[name] = true
	for _, dep := range d.Dependencies {
		s.addNeeds(cat, dep, depth+1)
	}
}

func resolveName(cat *Catalog, name string) []*EventDefinition {
	if d, ok := cat.Lookup(name); ok {
		return []*EventDefinition{d}
	}
	var out []*EventDefinition
	isGlob := strings.ContainsAny(name, "*?[")
	for _, d := range cat.All() {
		if d.Unavailable != "" {
			continue // a set or a pattern never selects what the source cannot produce
		}
		if isGlob {
			if ok, _ := path.Match(name, d.Name); ok {
				out = append(out, d)
			}
			continue
		}
		for _, set := range d.Sets {
			if set == name {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

func setNames(cat *Catalog) []string {
	seen := map[string]bool{}
	for _, d := range cat.All() {
		for _, s := range d.Sets {
			seen[s] = true
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Suggest returns up to three candidates close to name (edit distance or substring).
func Suggest(name string, candidates []string) []string {
	type scored struct {
		s    string
		dist int
	}
	var hits []scored
	limit := 2 + len(name)/6
	for _, c := range candidates {
		d := editDistance(name, c)
		if d <= limit || (len(name) >= 4 && strings.Contains(c, name)) {
			hits = append(hits, scored{c, d})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].dist != hits[j].dist {
			return hits[i].dist < hits[j].dist
		}
		return hits[i].s < hits[j].s
	})
	var out []string
	for i := 0; i < len(hits) && len(out) < 3; i++ {
		if i > 0 && hits[i].s == hits[i-1].s {
			continue
		}
		out = append(out, hits[i].s)
	}
	return out
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
