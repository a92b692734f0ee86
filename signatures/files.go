package signatures

import (
	"github.com/seed-428f5ad7/tracee/signatures/helpers"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Open flags beyond the access mode that signatures look at.
const (
	oCreat = 0o100
	oTrunc = 0o1000
)

// fileOpenArgs reads pathname and flags of a security_file_open event.
func fileOpenArgs(args []trace.Argument) (path string, flags int, ok bool) {
	path, ok = helpers.StringArg(args, "pathname")
	if !ok {
		return "", 0, false
	}
	f, ok := helpers.IntArg(args, "flags")
	return path, int(f), ok
}
