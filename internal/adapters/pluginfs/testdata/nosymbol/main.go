// Forgets to export ExportedSignatures.
package main

import (
	"github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs/testdata/testsig"
	"github.com/seed-428f5ad7/tracee/types/detect"
)

var Signatures = []detect.Signature{&testsig.Sig{ID: "TEST-5", Event: "test_five"}}

func main() {}
