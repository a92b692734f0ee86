package tracee.findings_test

import data.tracee.findings

gdb := {
	"processName": "gdb",
	"executable": {"path": "/usr/bin/gdb"},
	"signature": {"id": "TRC-103", "name": "Code injection via ptrace detected", "severity": 3},
}

test_gdb_may_poke_text if {
	count(findings.suppress) == 1 with input as gdb
}

test_reason_names_debugger_and_signature if {
	"gdb may ptrace (TRC-103)" in findings.suppress with input as gdb
}

test_strace_in_usr_local_bin if {
	count(findings.suppress) == 1 with input as object.union(gdb, {"processName": "strace", "executable": {"path": "/usr/local/bin/strace"}})
}

test_renamed_binary_is_not_a_debugger if {
	count(findings.suppress) == 0 with input as object.union(gdb, {"executable": {"path": "/tmp/gdb"}})
}

test_comm_gdb_on_other_binary_is_not_a_debugger if {
	count(findings.suppress) == 0 with input as object.union(gdb, {"executable": {"path": "/usr/bin/python3"}})
}

test_other_signatures_are_kept if {
	count(findings.suppress) == 0 with input as object.union(gdb, {"signature": {"id": "TRC-102"}})
}

test_other_processes_are_kept if {
	count(findings.suppress) == 0 with input as object.union(gdb, {"processName": "evil", "executable": {"path": "/usr/bin/evil"}})
}
