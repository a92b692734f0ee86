// Command plugin builds the built-in signatures as a Go plugin (dist/signatures/builtin.so).
package main

import "github.com/seed-428f5ad7/tracee/signatures"

// ExportedSignatures is looked up by the plugin loader.
var ExportedSignatures = signatures.All()

func main() {}
