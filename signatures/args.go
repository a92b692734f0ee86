package signatures

import (
	"fmt"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// The trace.Event argument getters (GetStringArgumentByName, ...) have value receivers, so each
// call copies the ~500-byte event three times, and one security_file_open reaches some twenty
// signatures. These read ev.Args in place with the getters' results: the first argument of that
// name, and an error when it is missing, nil or of another type.

func stringArg(ev *trace.Event, name string) (string, error) {
	return trace.ArgVal[string](ev.Args, name)
}

func stringsArg(ev *trace.Event, name string) ([]string, error) {
	return trace.ArgVal[[]string](ev.Args, name)
}

// intArg reads an int, int32 or int64 argument as an int, as GetIntArgumentByName does.
func intArg(ev *trace.Event, name string) (int, error) {
	for _, a := range ev.Args {
		if a.Name != name {
			continue
		}
		switch v := a.Value.(type) {
		case int:
			return v, nil
		case int32:
			return int(v), nil
		case int64:
			return int(v), nil
		}
		return 0, fmt.Errorf("can't convert argument %v to int (argument is of type %T)", name, a.Value)
	}
	return 0, fmt.Errorf("argument %s not found", name)
}
