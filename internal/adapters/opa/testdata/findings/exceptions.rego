package tracee.findings

suppress contains "debugger may ptrace" if {
	input.signature.id == "TRC-103"
	input.processName in {"gdb", "strace", "lldb"}
}

severity := 4 if input.container.id != ""

tags contains "container" if input.container.id != ""

fields["owner"] := "team-a" if input.userId == 1000
