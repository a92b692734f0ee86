package domain

import (
	"fmt"
	"path"
	"strings"
)

// FilterEvents keeps the events that match every filter (AND), as `tracee list events` reads them:
// a name or a glob (open*, *write*), tag=A,B (any of the sets), type=syscall|detector|signature|
// network|other, threat.severity=, threat.mitre.technique=, threat.mitre.tactic=, threat.name=
// (the threat filters keep only signature events). Comma-separated values are ORed.
func FilterEvents(events []*EventDefinition, filters []string) ([]*EventDefinition, error) {
	tests := make([]func(*EventDefinition) bool, 0, len(filters))
	for _, f := range filters {
		f = strings.TrimSpace(f)
		switch {
		case strings.HasPrefix(f, "tag="):
			tags := strings.Split(strings.TrimPrefix(f, "tag="), ",")
			tests = append(tests, func(d *EventDefinition) bool { return hasAnySet(d, tags) })
		case strings.HasPrefix(f, "type="):
			var kinds []EventKind
			for _, t := range strings.Split(strings.TrimPrefix(f, "type="), ",") {
				k, ok := map[string]EventKind{"syscall": KindSyscall, "detector": KindSignature, "signature": KindSignature,
					"network": KindNetwork, "other": KindOther}[t]
				if !ok {
					return nil, fmt.Errorf("list filter %q: type is syscall, detector (signature), network or other", f)
				}
				kinds = append(kinds, k)
			}
			tests = append(tests, func(d *EventDefinition) bool {
				for _, k := range kinds {
					if d.Kind == k {
						return true
					}
				}
				return false
			})
		case strings.HasPrefix(f, "threat."):
			match, err := ThreatMatcher(f)
			if err != nil {
				return nil, fmt.Errorf("list filter %q: %s; %s", f, err.Msg, err.Fix)
			}
			tests = append(tests, func(d *EventDefinition) bool { return d.Signature != nil && match(d.Signature) })
		default:
			names := strings.Split(f, ",")
			for _, n := range names {
				if _, err := path.Match(n, ""); err != nil {
					return nil, fmt.Errorf("list filter %q: bad pattern", f)
				}
			}
			tests = append(tests, func(d *EventDefinition) bool {
				for _, n := range names {
					if ok, _ := path.Match(n, d.Name); ok {
						return true
					}
				}
				return false
			})
		}
	}
	var out []*EventDefinition
	for _, d := range events {
		keep := true
		for _, test := range tests {
			if !test(d) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, d)
		}
	}
	return out, nil
}

func hasAnySet(d *EventDefinition, tags []string) bool {
	for _, want := range tags {
		for _, s := range d.Sets {
			if s == want {
				return true
			}
		}
		if d.Signature != nil {
			for _, s := range d.Signature.Metadata.Tags {
				if s == want {
					return true
				}
			}
		}
	}
	return false
}
