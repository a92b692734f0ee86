// Panics while the plugin initialises.
package main

import (
	"github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs/testdata/testsig"
	"github.com/seed-428f5ad7/tracee/types/detect"
)

var ExportedSignatures = []detect.Signature{&testsig.Sig{ID: "TEST-30", Event: "test_30"}}

func init() { panic("init exploded") }

func main() {}
