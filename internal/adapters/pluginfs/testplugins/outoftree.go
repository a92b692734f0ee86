package testplugins

import (
	"path/filepath"
	"strings"
)

// OldTypesVersion is an older published version of Tracee's types module (Tracee v0.24.1's pin):
// the out-of-tree plugin requires it, so that building it must pin the host's version.
const OldTypesVersion = "v0.0.0-20250902170041-945d17d40601"

// WriteV024Module writes into dir a signature plugin module in Tracee v0.24 style: its own
// go.mod requiring only github.com/aquasecurity/tracee/types, the v0.24 argument getters on
// trace.Event, the process tree data source, and an exported data source (acme/inventory).
//
//   - OOT-1 (oot_shadow_read): security_file_open of a path ending in /shadow.
//   - OOT-2 (oot_exec_from_shell): sched_process_exec whose parent's binary is a shell; the
//     finding carries the parent's path and argv from tracee/process_tree.
//   - OOT-3 (oot_owned_container): any openat in a container that acme/inventory knows.
func WriteV024Module(dir string) error {
	return writeFiles(map[string]string{
		filepath.Join(dir, "go.mod"):  "module example.com/v024sig\n\ngo 1.26\n\nrequire github.com/aquasecurity/tracee/types " + OldTypesVersion + "\n",
		filepath.Join(dir, "main.go"): v024Main,
	})
}

// WriteOwnPathModule writes into dir a plugin module that imports this repository's own module
// path (github.com/seed-428f5ad7/tracee/types/...), required and replaced by the directory
// repoRoot: the layout that fails under -trimpath without a go.work. Its signature OWN-1
// (own_inventory_open) needs the data source acme/inventory that WriteV024Module's plugin exports.
func WriteOwnPathModule(dir, repoRoot string) error {
	return writeFiles(map[string]string{
		filepath.Join(dir, "go.mod"): "module example.com/ownpath\n\ngo 1.26\n\n" +
			"require github.com/seed-428f5ad7/tracee v0.0.0-00010101000000-000000000000\n\n" +
			"replace github.com/seed-428f5ad7/tracee => " + repoRoot + "\n",
		filepath.Join(dir, "main.go"): strings.ReplaceAll(ownPathMain, "TYPES", "github.com/seed-428f5ad7/tracee/types"),
	})
}

// WriteInterestModule writes into dir a Tracee-style plugin module (its signatures use
// github.com/aquasecurity/tracee/types at typesVersion) that also imports this repository's public
// package types/prefilter, required and replaced by the directory repoRoot, to declare what its
// signatures can match: INT-1 (int_shadow_open) opens of files named "shadow", INT-2
// (int_script_write) writes starting with "#!".
func WriteInterestModule(dir, repoRoot, typesVersion string) error {
	return writeFiles(map[string]string{
		filepath.Join(dir, "go.mod"): "module example.com/interest\n\ngo 1.26\n\n" +
			"require (\n\tgithub.com/aquasecurity/tracee/types " + typesVersion + "\n" +
			"\tgithub.com/seed-428f5ad7/tracee v0.0.0-00010101000000-000000000000\n)\n\n" +
			"replace github.com/seed-428f5ad7/tracee => " + repoRoot + "\n",
		filepath.Join(dir, "main.go"): interestMain,
	})
}

const v024Main = `// Package main is a Tracee v0.24-style signature plugin in a module of its own.
package main

import (
	"fmt"
	"path"
	"strings"

	"github.com/aquasecurity/tracee/types/datasource"
	"github.com/aquasecurity/tracee/types/detect"
	"github.com/aquasecurity/tracee/types/protocol"
	"github.com/aquasecurity/tracee/types/trace"
)

type sig struct {
	md      detect.SignatureMetadata
	events  []string
	init    func(s *sig, ctx detect.SignatureContext) error
	onEvent func(s *sig, ev trace.Event) (map[string]interface{}, error)
	cb      detect.SignatureHandler
	tree    *datasource.ProcessTreeDS
	inv     detect.DataSource
}

func (s *sig) GetMetadata() (detect.SignatureMetadata, error) { return s.md, nil }
func (s *sig) GetSelectedEvents() ([]detect.SignatureEventSelector, error) {
	var out []detect.SignatureEventSelector
	for _, e := range s.events {
		out = append(out, detect.SignatureEventSelector{Source: "tracee", Name: e, Origin: "*"})
	}
	return out, nil
}
func (s *sig) Init(ctx detect.SignatureContext) error {
	s.cb = ctx.Callback
	if s.init != nil {
		return s.init(s, ctx)
	}
	return nil
}
func (s *sig) OnEvent(e protocol.Event) error {
	ev, ok := e.Payload.(trace.Event)
	if !ok {
		return fmt.Errorf("unexpected payload %T", e.Payload)
	}
	data, err := s.onEvent(s, ev)
	if err != nil || data == nil {
		return err
	}
	s.cb(&detect.Finding{SigMetadata: s.md, Event: e, Data: data})
	return nil
}
func (s *sig) OnSignal(detect.Signal) error { return nil }
func (s *sig) Close()                       {}

func meta(id, name, event string) detect.SignatureMetadata {
	return detect.SignatureMetadata{ID: id, Version: "1", Name: name, EventName: event,
		Properties: map[string]interface{}{"Severity": 2, "Category": "test"}}
}

// inventory is the acme/inventory data source: container ID -> owning team.
type inventory struct{}

func (inventory) Get(k interface{}) (map[string]interface{}, error) {
	if k == "c0ffee" {
		return map[string]interface{}{"owner": "team-a"}, nil
	}
	return nil, detect.ErrDataNotFound
}
func (inventory) Version() uint     { return 1 }
func (inventory) Keys() []string    { return []string{"string"} }
func (inventory) Schema() string    { return ` + "`" + `{"owner":"string"}` + "`" + ` }
func (inventory) Namespace() string { return "acme" }
func (inventory) ID() string        { return "inventory" }

var ExportedDataSources = []detect.DataSource{inventory{}}

var ExportedSignatures = []detect.Signature{
	&sig{md: meta("OOT-1", "shadow read", "oot_shadow_read"), events: []string{"security_file_open"},
		onEvent: func(s *sig, ev trace.Event) (map[string]interface{}, error) {
			p, err := ev.GetStringArgumentByName("pathname")
			if err != nil || !strings.HasSuffix(p, "/shadow") {
				return nil, err
			}
			return map[string]interface{}{"path": p}, nil
		}},
	&sig{md: meta("OOT-2", "exec from a shell", "oot_exec_from_shell"), events: []string{"sched_process_exec"},
		init: func(s *sig, ctx detect.SignatureContext) (err error) {
			s.tree, err = datasource.GetProcessTreeDataSource(ctx)
			return err
		},
		onEvent: func(s *sig, ev trace.Event) (map[string]interface{}, error) {
			lineage, err := s.tree.GetEventProcessLineage(&ev, 1)
			if err != nil || len(*lineage) < 2 {
				return nil, nil // parent unknown: nothing to say
			}
			parent := (*lineage)[1].Info
			if base := path.Base(parent.ExecutionBinary.Path); base != "bash" && base != "sh" {
				return nil, nil
			}
			return map[string]interface{}{"parent_path": parent.ExecutionBinary.Path,
				"parent_cmd": strings.Join(parent.Cmd, " "), "parent_pid": parent.Pid}, nil
		}},
	&sig{md: meta("OOT-3", "open in an owned container", "oot_owned_container"), events: []string{"openat"},
		init: func(s *sig, ctx detect.SignatureContext) error {
			var ok bool
			if s.inv, ok = ctx.GetDataSource("acme", "inventory"); !ok {
				return fmt.Errorf("data source acme/inventory is not registered")
			}
			return nil
		},
		onEvent: func(s *sig, ev trace.Event) (map[string]interface{}, error) {
			got, err := s.inv.Get(ev.Container.ID)
			if err != nil {
				return nil, nil
			}
			return map[string]interface{}{"owner": got["owner"]}, nil
		}},
}

func main() {}
`

const ownPathMain = `// Package main imports tracee's own module path and uses a data source another plugin exports.
package main

import (
	"fmt"

	"TYPES/detect"
	"TYPES/protocol"
	"TYPES/trace"
)

type ownSig struct {
	cb  detect.SignatureHandler
	inv detect.DataSource
}

func (s *ownSig) GetMetadata() (detect.SignatureMetadata, error) {
	return detect.SignatureMetadata{ID: "OWN-1", Version: "1", Name: "inventory open", EventName: "own_inventory_open"}, nil
}
func (s *ownSig) GetSelectedEvents() ([]detect.SignatureEventSelector, error) {
	return []detect.SignatureEventSelector{{Source: "tracee", Name: "openat", Origin: "*"}}, nil
}
func (s *ownSig) Init(ctx detect.SignatureContext) error {
	s.cb = ctx.Callback
	var ok bool
	if s.inv, ok = ctx.GetDataSource("acme", "inventory"); !ok {
		return fmt.Errorf("data source acme/inventory is not registered")
	}
	return nil
}
func (s *ownSig) OnEvent(e protocol.Event) error {
	ev := e.Payload.(trace.Event)
	got, err := s.inv.Get(ev.Container.ID)
	if err != nil {
		return nil
	}
	md, _ := s.GetMetadata()
	s.cb(&detect.Finding{SigMetadata: md, Event: e, Data: map[string]interface{}{"owner": got["owner"]}})
	return nil
}
func (s *ownSig) OnSignal(detect.Signal) error { return nil }
func (s *ownSig) Close()                       {}

var ExportedSignatures = []detect.Signature{&ownSig{}}

func main() {}
`

const interestMain = `// Package main is a Tracee-style signature plugin whose signatures tell the agent's kernel
// prefilters what they can match.
package main

import (
	"github.com/aquasecurity/tracee/types/detect"
	"github.com/aquasecurity/tracee/types/protocol"

	"github.com/seed-428f5ad7/tracee/types/prefilter"
)

type sig struct {
	id, name, event string
	open            *prefilter.OpenInterest
	magic           *prefilter.MagicInterest
}

func (s *sig) GetMetadata() (detect.SignatureMetadata, error) {
	return detect.SignatureMetadata{ID: s.id, Version: "1", Name: s.name, EventName: s.name}, nil
}
func (s *sig) GetSelectedEvents() ([]detect.SignatureEventSelector, error) {
	return []detect.SignatureEventSelector{{Source: "tracee", Name: s.event, Origin: "*"}}, nil
}
func (s *sig) Init(detect.SignatureContext) error { return nil }
func (s *sig) OnEvent(protocol.Event) error       { return nil }
func (s *sig) OnSignal(detect.Signal) error       { return nil }
func (s *sig) Close()                             {}

// OpenInterest implements prefilter.OpenInterested.
func (s *sig) OpenInterest() (prefilter.OpenInterest, bool) {
	if s.open == nil {
		return prefilter.OpenInterest{}, false
	}
	return *s.open, true
}

// MagicInterest implements prefilter.MagicInterested.
func (s *sig) MagicInterest() (prefilter.MagicInterest, bool) {
	if s.magic == nil {
		return prefilter.MagicInterest{}, false
	}
	return *s.magic, true
}

var ExportedSignatures = []detect.Signature{
	&sig{id: "INT-1", name: "int_shadow_open", event: "security_file_open",
		open: &prefilter.OpenInterest{Names: []string{"shadow"}}},
	&sig{id: "INT-2", name: "int_script_write", event: "magic_write",
		magic: &prefilter.MagicInterest{Prefixes: []string{"#!"}}},
}

func main() {}
`
