// Package e2e proves the built-in signatures against real actions on this machine: the tests run
// the live eBPF source and the detection engine in the test process, perform each attack in a
// child process (in temp dirs and private mount, PID or cgroup namespaces, cleaned up afterwards)
// and assert the finding. The live tests need root and skip otherwise; the plugin test needs
// dist/signatures/builtin.so.
package e2e
