// Package signatures is the built-in detection set: Tracee's signatures that the live events
// support, with Tracee's IDs and event names, plus detections Tracee lacks. Each signature uses only
// the public types/ packages and signatures/helpers, exactly like a third-party plugin.
package signatures

import "github.com/seed-428f5ad7/tracee/types/detect"

// All returns fresh instances of every built-in signature.
func All() []detect.Signature {
	return []detect.Signature{
		NewAntiDebugging(),
		NewFilelessExecution(),
		NewLdPreload(),
	}
}
