// Signatures whose GetMetadata or GetSelectedEvents fail or panic, and one that works.
package main

import (
	"github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs/testdata/testsig"
	"github.com/seed-428f5ad7/tracee/types/detect"
)

var ExportedSignatures = []detect.Signature{
	&testsig.Sig{ID: "TEST-21", Event: "test_21", MetadataError: true},
	&testsig.Sig{ID: "TEST-22", Event: "test_22", MetadataPanic: true},
	&testsig.Sig{ID: "TEST-23", Event: "test_23", SelectedPanic: true},
	&testsig.Sig{ID: "TEST-20", Event: "test_20"},
}

func main() {}
