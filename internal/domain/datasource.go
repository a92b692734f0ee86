package domain

import (
	"fmt"
	"maps"
	"slices"

	"github.com/seed-428f5ad7/tracee/types/detect"
)

// BuiltinOrigin is the Origin of the data sources the agent itself serves.
const BuiltinOrigin = "builtin"

// LoadedDataSource is a data source offered to signatures and where it came from (a plugin path
// or BuiltinOrigin).
type LoadedDataSource struct {
	Source detect.DataSource
	Origin string
}

// DataSources serves detect.SignatureContext.GetDataSource: one data source per namespace/id.
type DataSources struct {
	byKey map[string]LoadedDataSource
}

func dataSourceKey(namespace, id string) string { return namespace + "/" + id }

// NewDataSources registers every source in order; a later one with a namespace/id already taken
// is left out and reported as a problem naming both origins.
func NewDataSources(sources ...LoadedDataSource) (*DataSources, []LoadProblem) {
	r := &DataSources{byKey: map[string]LoadedDataSource{}}
	var problems []LoadProblem
	for _, s := range sources {
		if p := r.add(s); p != nil {
			problems = append(problems, *p)
		}
	}
	return r, problems
}

func (r *DataSources) add(s LoadedDataSource) (problem *LoadProblem) {
	defer func() {
		if rec := recover(); rec != nil {
			problem = &LoadProblem{Path: s.Origin, Cause: fmt.Sprintf("data source panicked in Namespace/ID: %v", rec),
				Fix: "fix the data source's code and rebuild the plugin"}
		}
	}()
	if s.Source == nil {
		return &LoadProblem{Path: s.Origin, Cause: "data source is nil", Fix: "remove the nil entry from ExportedDataSources"}
	}
	key := dataSourceKey(s.Source.Namespace(), s.Source.ID())
	if first, dup := r.byKey[key]; dup {
		return &LoadProblem{Path: s.Origin,
			Cause: fmt.Sprintf("data source %s is already provided by %s", key, first.Origin),
			Fix:   "give one of the two data sources another namespace or ID, or remove one of the files"}
	}
	r.byKey[key] = s
	return nil
}

// Get is detect.SignatureContext.GetDataSource.
func (r *DataSources) Get(namespace, id string) (detect.DataSource, bool) {
	if r == nil {
		return nil, false
	}
	s, ok := r.byKey[dataSourceKey(namespace, id)]
	return s.Source, ok
}

// Names lists the namespace/id of every data source, sorted.
func (r *DataSources) Names() []string {
	return slices.Sorted(maps.Keys(r.byKey))
}

// DedupeDataSources keeps the first data source of each namespace/id and reports every later one
// as a problem naming both origins.
func DedupeDataSources(in []LoadedDataSource) ([]LoadedDataSource, []LoadProblem) {
	r := &DataSources{byKey: map[string]LoadedDataSource{}}
	var out []LoadedDataSource
	var problems []LoadProblem
	for _, s := range in {
		if p := r.add(s); p != nil {
			problems = append(problems, *p)
			continue
		}
		out = append(out, s)
	}
	return out, problems
}
