// Exports a slice of a concrete type instead of []detect.Signature.
package main

import "github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs/testdata/testsig"

var ExportedSignatures = []*testsig.Sig{{ID: "TEST-6", Event: "test_six"}}

func main() {}
