package domain

import "github.com/seed-428f5ad7/tracee/types/trace"

// Arg returns the argument of ev called name, or nil. Unlike trace.Event.GetArgumentByName it
// neither copies the argument nor treats a nil value as an error, so policies and the agent can
// read and amend arguments in place.
func Arg(ev *trace.Event, name string) *trace.Argument {
	for i := range ev.Args {
		if ev.Args[i].Name == name {
			return &ev.Args[i]
		}
	}
	return nil
}
