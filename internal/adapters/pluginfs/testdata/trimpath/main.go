// Built with the opposite -trimpath setting from the test binary.
package main

import (
	"github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs/testdata/testsig"
	"github.com/seed-428f5ad7/tracee/types/detect"
)

var ExportedSignatures = []detect.Signature{&testsig.Sig{ID: "TEST-40", Event: "test_40"}}

func main() {}
