// A plugin whose signature never returns from OnEvent: the agent's watchdog must disable it and
// go on without it.
package main

import (
	"time"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

type stuck struct{}

func (stuck) GetMetadata() (detect.SignatureMetadata, error) {
	return detect.SignatureMetadata{ID: "STUCK-1", Version: "1", Name: "stuck", EventName: "stuck_sig",
		Properties: map[string]interface{}{"Severity": 1}}, nil
}

func (stuck) GetSelectedEvents() ([]detect.SignatureEventSelector, error) {
	return []detect.SignatureEventSelector{{Source: "tracee", Name: "ptrace", Origin: "*"}}, nil
}

func (stuck) Init(detect.SignatureContext) error { return nil }
func (stuck) Close()                             {}
func (stuck) OnSignal(detect.Signal) error       { return nil }
func (stuck) OnEvent(protocol.Event) error {
	time.Sleep(24 * time.Hour)
	return nil
}

var ExportedSignatures = []detect.Signature{stuck{}}

func main() {}
