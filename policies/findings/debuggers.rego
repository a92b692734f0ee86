# Debuggers may ptrace: ptrace writes and /proc/PID/mem access by gdb, strace, ltrace or lldb
# installed in a system directory are not findings. The executable path is checked too, because
# a process can take any name (comm) it likes.
package tracee.findings

debugger_names := {"gdb", "gdbserver", "strace", "ltrace", "lldb", "lldb-server"}

debugger_dirs := {"/usr/bin/", "/bin/", "/usr/local/bin/", "/usr/libexec/"}

# Signatures whose findings a debugger triggers by design.
debugger_signatures := {
	"TRC-103", # ptrace_code_injection: breakpoints are PTRACE_POKETEXT
	"TRC-1023", # proc_mem_access: gdb reads /proc/PID/mem
	"TRC-1024", # proc_mem_code_injection: and writes it
	"TRC-1025", # process_vm_write_inject
}

is_system_debugger if {
	input.processName in debugger_names
	some dir in debugger_dirs
	startswith(input.executable.path, dir)
	# the binary's own name must be a debugger too, not just the comm
	base := regex.replace(input.executable.path, `^.*/`, "")
	base in debugger_names
}

suppress contains sprintf("%s may ptrace (%s)", [input.processName, input.signature.id]) if {
	input.signature.id in debugger_signatures
	is_system_debugger
}
