package ebpf

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// The live tests act in a child process: the source filters its own process in the kernel.
const helperEnv = "TRACEE_EBPF_TEST_HELPER"

func TestMain(m *testing.M) {
	if action := os.Getenv(helperEnv); action != "" {
		if err := helperAction(action, os.Args[len(os.Args)-1]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runHelper runs one helper action in a child copy of the test binary and returns its pid.
func runHelper(action string, arg ...string) (int, error) {
	cmd := helperCommand(action, arg...)
	out, err := cmd.CombinedOutput()
	pid := 0
	if cmd.Process != nil {
		pid = cmd.Process.Pid
	}
	if err != nil {
		return pid, fmt.Errorf("helper %s: %v: %s", action, err, out)
	}
	return pid, nil
}

// helperCommand prepares a child copy of the test binary that does action.
func helperCommand(action string, arg ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$"}, arg...)...)
	cmd.Env = append(os.Environ(), helperEnv+"="+action, "GODEBUG=asyncpreemptoff=1")
	return cmd
}
