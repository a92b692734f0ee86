// Command tracee is a runtime-security agent: it watches the kernel with eBPF, runs detection
// signatures (Go plugins compatible with Aqua Tracee's API) and ships their findings.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd(os.Stdin, os.Stdout, os.Stderr).Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "tracee: "+err.Error())
		os.Exit(1)
	}
}
