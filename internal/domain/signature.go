package domain

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/seed-428f5ad7/tracee/types/detect"
)

// SignatureInfo is what the agent knows about a loaded signature.
type SignatureInfo struct {
	Metadata  detect.SignatureMetadata
	Selectors []detect.SignatureEventSelector
	// Origin is where the signature came from: a plugin path, a .rego path or "builtin".
	Origin string
}

// Severity reads Properties["Severity"] (0-4); -1 when absent or not a number.
func (s *SignatureInfo) Severity() int { return PropertyInt(s.Metadata.Properties, "Severity") }

// Technique returns the MITRE ATT&CK technique name, if any.
func (s *SignatureInfo) Technique() string {
	return PropertyString(s.Metadata.Properties, "Technique")
}

// ExternalID returns the MITRE ATT&CK technique ID (e.g. T1622), if any.
func (s *SignatureInfo) ExternalID() string {
	return PropertyString(s.Metadata.Properties, "external_id")
}

// PropertyString reads a string property.
func PropertyString(props map[string]interface{}, key string) string {
	if v, ok := props[key]; ok && v != nil {
		if s, ok := v.(string); ok {
			return s
		}
		return fmt.Sprint(v)
	}
	return ""
}

// PropertyInt reads an integer property written as any Go number or a numeric string; -1 when absent.
func PropertyInt(props map[string]interface{}, key string) int {
	switch v := props[key].(type) {
	case int:
		return v
	case int8:
		return int(v)
	case int16:
		return int(v)
	case int32:
		return int(v)
	case int64:
		return int(v)
	case uint:
		return int(v)
	case uint8:
		return int(v)
	case uint16:
		return int(v)
	case uint32:
		return int(v)
	case uint64:
		return int(v)
	case float32:
		return int(v)
	case float64:
		return int(v)
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return n
		}
	}
	return -1
}

// LoadedSignature is a signature ready for the engine.
type LoadedSignature struct {
	Signature detect.Signature
	Info      SignatureInfo
}

// LoadProblem is one file or signature that could not be loaded, explained in one line.
type LoadProblem struct {
	Path  string `json:"path"`  // the file or directory
	Cause string `json:"cause"` // what went wrong
	Fix   string `json:"fix"`   // what the user can do about it
}

func (p LoadProblem) String() string {
	if p.Fix == "" {
		return fmt.Sprintf("%s: %s", p.Path, p.Cause)
	}
	return fmt.Sprintf("%s: %s; fix: %s", p.Path, p.Cause, p.Fix)
}

// LoadResult is the outcome of loading signatures from one or more places.
type LoadResult struct {
	Signatures []LoadedSignature
	// DataSources are the data sources plugins export (ExportedDataSources) for signatures.
	DataSources []LoadedDataSource
	Problems    []LoadProblem
	// Warnings are not failures (e.g. "no signatures found in DIR").
	Warnings []string
}

// Merge appends other's results to r.
func (r *LoadResult) Merge(other LoadResult) {
	r.Signatures = append(r.Signatures, other.Signatures...)
	r.DataSources = append(r.DataSources, other.DataSources...)
	r.Problems = append(r.Problems, other.Problems...)
	r.Warnings = append(r.Warnings, other.Warnings...)
}

// DedupeSignatures keeps the first signature of each ID and event name and reports every later
// one as a problem naming both origins.
func DedupeSignatures(in []LoadedSignature) ([]LoadedSignature, []LoadProblem) {
	byID := map[string]string{}
	byEvent := map[string]string{}
	var out []LoadedSignature
	var problems []LoadProblem
	for _, s := range in {
		md := s.Info.Metadata
		if first, dup := byID[md.ID]; dup {
			problems = append(problems, LoadProblem{Path: s.Info.Origin,
				Cause: fmt.Sprintf("signature ID %q is already defined by %s", md.ID, first),
				Fix:   "give one of the two signatures another ID, or remove one of the files"})
			continue
		}
		if first, dup := byEvent[md.EventName]; dup {
			problems = append(problems, LoadProblem{Path: s.Info.Origin,
				Cause: fmt.Sprintf("signature %s uses event name %q already used by %s", md.ID, md.EventName, first),
				Fix:   "give one of the two signatures another EventName, or remove one of the files"})
			continue
		}
		byID[md.ID] = s.Info.Origin
		byEvent[md.EventName] = s.Info.Origin
		out = append(out, s)
	}
	return out, problems
}

// SignatureEvents turns loaded signatures into catalog definitions numbered from 6000 in ID order,
// so that a signature keeps its event ID across runs with the same set.
func SignatureEvents(sigs []LoadedSignature) []EventDefinition {
	sorted := append([]LoadedSignature(nil), sigs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Info.Metadata.ID < sorted[j].Info.Metadata.ID })
	defs := make([]EventDefinition, 0, len(sorted))
	for i, s := range sorted {
		info := s.Info
		deps := make([]string, 0, len(info.Selectors))
		for _, sel := range info.Selectors {
			if sel.Name != "" && sel.Name != "*" {
				deps = append(deps, sel.Name)
			}
		}
		sets := []string{"signatures", "default"}
		defs = append(defs, EventDefinition{Nr: -1,
			ID: SignatureEventIDBase + i, Name: info.Metadata.EventName, Kind: KindSignature,
			Sets: sets, Dependencies: deps, Signature: &info,
		})
	}
	return defs
}

// Builtin wraps signatures compiled into a program (not read from a plugin file), with origin
// "builtin". A signature whose metadata or selection cannot be read gets the zero value of it.
func Builtin(sigs []detect.Signature) []LoadedSignature {
	out := make([]LoadedSignature, 0, len(sigs))
	for _, s := range sigs {
		md, _ := s.GetMetadata()
		sel, _ := s.GetSelectedEvents()
		out = append(out, LoadedSignature{Signature: s, Info: SignatureInfo{Metadata: md, Selectors: sel, Origin: "builtin"}})
	}
	return out
}
