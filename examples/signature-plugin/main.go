// Command signature-plugin is an example signature plugin: one signature, EXAMPLE-1, reports a
// program executed from a world-writable in-memory directory (/dev/shm, /run/shm), where droppers
// hide payloads. It is written as a Tracee v0.24 signature is: it asserts the payload to trace.Event
// and reads arguments with the event's getters; only the import prefix differs.
//
// Build it with the same Go version and flags as the tracee binary (see `tracee version`):
//
//	CGO_ENABLED=1 go build -trimpath -buildmode=plugin -o example.so ./examples/signature-plugin
//
// and load it with `tracee --signatures-dir DIR list`, where DIR holds example.so.
package main

import (
	"errors"
	"strings"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// ExportedSignatures is what tracee looks up in every plugin: a variable of type
// []detect.Signature in package main.
var ExportedSignatures = []detect.Signature{&execFromShm{}}

// main is required by -buildmode=plugin and never runs.
func main() {}

var shmDirs = []string{"/dev/shm/", "/run/shm/"}

type execFromShm struct {
	cb detect.SignatureHandler
}

func (s *execFromShm) GetMetadata() (detect.SignatureMetadata, error) {
	return detect.SignatureMetadata{
		ID:          "EXAMPLE-1",
		Version:     "1",
		Name:        "Program executed from shared memory",
		EventName:   "example_exec_from_shm",
		Description: "A program was executed from /dev/shm or /run/shm, a world-writable in-memory directory where droppers hide payloads.",
		Tags:        []string{"example", "linux"},
		Properties: map[string]interface{}{
			"Severity":    2, // 0 (info) to 4 (critical)
			"Category":    "defense-evasion",
			"Technique":   "Masquerading",
			"external_id": "T1036", // MITRE ATT&CK technique ID
		},
	}, nil
}

// GetSelectedEvents asks for every process execution, on the host and in containers.
func (s *execFromShm) GetSelectedEvents() ([]detect.SignatureEventSelector, error) {
	return []detect.SignatureEventSelector{{Source: "tracee", Name: "sched_process_exec", Origin: "*"}}, nil
}

// Init keeps the callback through which findings are reported.
func (s *execFromShm) Init(ctx detect.SignatureContext) error {
	s.cb = ctx.Callback
	return nil
}

func (s *execFromShm) OnEvent(event protocol.Event) error {
	eventObj, ok := event.Payload.(trace.Event)
	if !ok {
		return errors.New("invalid event")
	}
	if eventObj.EventName != "sched_process_exec" {
		return nil
	}
	pathname, err := eventObj.GetStringArgumentByName("pathname")
	if err != nil {
		return nil // an exec without a pathname is nothing to report
	}
	for _, dir := range shmDirs {
		if strings.HasPrefix(pathname, dir) {
			metadata, err := s.GetMetadata()
			if err != nil {
				return err
			}
			s.cb(&detect.Finding{
				SigMetadata: metadata,
				Event:       event,
				Data:        map[string]interface{}{"pathname": pathname},
			})
			return nil
		}
	}
	return nil
}

func (s *execFromShm) OnSignal(detect.Signal) error { return nil }
func (s *execFromShm) Close()                       {}
