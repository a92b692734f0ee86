// Reuses the good plugin's ID TEST-1 and event name test_two.
package main

import (
	"github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs/testdata/testsig"
	"github.com/seed-428f5ad7/tracee/types/detect"
)

var ExportedSignatures = []detect.Signature{
	&testsig.Sig{ID: "TEST-1", Event: "test_dup"},
	&testsig.Sig{ID: "TEST-3", Event: "test_two"},
	&testsig.Sig{ID: "TEST-4", Event: "test_four"},
}

func main() {}
