// A well-formed plugin with two signatures.
package main

import (
	"github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs/testdata/testsig"
	"github.com/seed-428f5ad7/tracee/types/detect"
)

var ExportedSignatures = []detect.Signature{
	&testsig.Sig{ID: "TEST-1", Event: "test_one"},
	&testsig.Sig{ID: "TEST-2", Event: "test_two"},
}

func main() {}
