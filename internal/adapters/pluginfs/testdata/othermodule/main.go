// Built in a module of its own against a modified copy of tracee's types (a local replace), so
// that its detect package differs from the test binary's: Go refuses to open it.
package main

import (
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

type sig struct{}

func (sig) GetMetadata() (detect.SignatureMetadata, error) {
	return detect.SignatureMetadata{ID: "TEST-50", EventName: "test_50"}, nil
}
func (sig) GetSelectedEvents() ([]detect.SignatureEventSelector, error) { return nil, nil }
func (sig) Init(detect.SignatureContext) error                          { return nil }
func (sig) Close()                                                      {}
func (sig) OnEvent(protocol.Event) error                                { return nil }
func (sig) OnSignal(detect.Signal) error                                { return nil }

var ExportedSignatures = []detect.Signature{sig{}}

func main() {}
