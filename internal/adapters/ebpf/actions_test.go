package ebpf

import (
	"fmt"
	"os/exec"
)

// helperAction does one real action that should produce an event.
func helperAction(action, arg string) error {
	switch action {
	case "exec-true":
		return exec.Command("/bin/true").Run()
	}
	return fmt.Errorf("unknown helper action %q", action)
}
