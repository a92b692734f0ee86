// Package testsig is a configurable signature shared by the loader's test plugins.
package testsig

import (
	"errors"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// Sig misbehaves on demand.
type Sig struct {
	ID, Event     string
	MetadataError bool
	MetadataPanic bool
	SelectedPanic bool
}

func (s *Sig) GetMetadata() (detect.SignatureMetadata, error) {
	if s.MetadataError {
		return detect.SignatureMetadata{}, errors.New("metadata unavailable")
	}
	if s.MetadataPanic {
		panic("metadata exploded")
	}
	return detect.SignatureMetadata{ID: s.ID, Version: "1", Name: s.ID, EventName: s.Event,
		Properties: map[string]interface{}{"Severity": 2}}, nil
}

func (s *Sig) GetSelectedEvents() ([]detect.SignatureEventSelector, error) {
	if s.SelectedPanic {
		panic("selectors exploded")
	}
	return []detect.SignatureEventSelector{{Source: "tracee", Name: "sched_process_exec", Origin: "*"}}, nil
}

func (s *Sig) Init(detect.SignatureContext) error  { return nil }
func (s *Sig) Close()                              {}
func (s *Sig) OnEvent(protocol.Event) error        { return nil }
func (s *Sig) OnSignal(signal detect.Signal) error { return nil }
