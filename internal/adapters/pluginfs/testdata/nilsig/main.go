// One good signature between a nil and a typed nil.
package main

import (
	"github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs/testdata/testsig"
	"github.com/seed-428f5ad7/tracee/types/detect"
)

var ExportedSignatures = []detect.Signature{
	nil,
	&testsig.Sig{ID: "TEST-10", Event: "test_ten"},
	(*testsig.Sig)(nil),
}

func main() {}
