package domain

import "github.com/seed-428f5ad7/tracee/types/trace"

// IDs of the non-syscall base events (Tracee's numbering). Syscall events use the x86_64 syscall number.
const (
	EventSchedProcessFork      = 1002
	EventSchedProcessExec      = 1003
	EventSchedProcessExit      = 1004
	EventSecurityFileOpen      = 1020
	EventSecurityInodeRename   = 1028
	EventSecuritySocketConnect = 1033
	EventSecuritySbMount       = 1024
	EventMemProtAlert          = 1050
	EventSocketDup             = 1051
	EventMagicWrite            = 1052
)

func args(nameType ...string) []trace.ArgMeta {
	out := make([]trace.ArgMeta, 0, len(nameType)/2)
	for i := 0; i+1 < len(nameType); i += 2 {
		out = append(out, trace.ArgMeta{Name: nameType[i], Type: nameType[i+1]})
	}
	return out
}

// BaseEvents are the events the live source can produce, with Tracee's names and argument names
// and types. The eBPF source must emit exactly these arguments in this order.
func BaseEvents() []EventDefinition {
	return []EventDefinition{
		{ID: EventSchedProcessExec, Name: "sched_process_exec", Kind: KindOther, Sets: []string{"default", "proc"},
			Params: args("cmdpath", "const char*", "pathname", "const char*", "dev", "dev_t", "inode", "unsigned long",
				"ctime", "unsigned long", "inode_mode", "umode_t", "interpreter_pathname", "const char*",
				"interpreter_dev", "dev_t", "interpreter_inode", "unsigned long", "interpreter_ctime", "unsigned long",
				"argv", "const char**", "interp", "const char*", "stdin_type", "umode_t", "stdin_path", "char*",
				"invoked_from_kernel", "bool", "env", "const char**")},
		{ID: EventSchedProcessFork, Name: "sched_process_fork", Kind: KindOther, Sets: []string{"default", "proc"},
			Params: args("parent_tid", "int", "parent_ns_tid", "int", "parent_pid", "int", "parent_ns_pid", "int",
				"child_tid", "int", "child_ns_tid", "int", "child_pid", "int", "child_ns_pid", "int", "start_time", "unsigned long")},
		{ID: EventSchedProcessExit, Name: "sched_process_exit", Kind: KindOther, Sets: []string{"default", "proc", "proc_life"},
			Params: args("exit_code", "long", "process_group_exit", "bool")},
		{ID: EventSecurityFileOpen, Name: "security_file_open", Kind: KindOther, Sets: []string{"default", "lsm_hooks", "fs", "fs_file_ops"},
			Params: args("pathname", "const char*", "flags", "int", "dev", "dev_t", "inode", "unsigned long",
				"ctime", "unsigned long", "syscall_pathname", "const char*")},
		{ID: EventSecurityInodeRename, Name: "security_inode_rename", Kind: KindOther, Sets: []string{"default", "lsm_hooks", "fs", "fs_file_ops"},
			Params: args("old_path", "const char*", "new_path", "const char*")},
		{ID: EventSecuritySocketConnect, Name: "security_socket_connect", Kind: KindNetwork, Sets: []string{"default", "lsm_hooks", "net", "net_sock"},
			Params: args("sockfd", "int", "type", "int", "remote_addr", "struct sockaddr*")},
		{ID: EventSecuritySbMount, Name: "security_sb_mount", Kind: KindOther, Sets: []string{"default", "lsm_hooks", "fs"},
			Params: args("dev_name", "const char*", "path", "const char*", "type", "const char*", "flags", "unsigned long")},
		{ID: EventMemProtAlert, Name: "mem_prot_alert", Kind: KindOther, Sets: []string{"default"},
			Params: args("alert", "u32", "addr", "void*", "len", "size_t", "prot", "int", "prev_prot", "int",
				"pathname", "const char*", "dev", "dev_t", "inode", "u64", "ctime", "u64")},
		{ID: EventSocketDup, Name: "socket_dup", Kind: KindNetwork, Sets: []string{"default", "net"},
			Params: args("oldfd", "int", "newfd", "int", "remote_addr", "struct sockaddr*")},

		syscallEvent(101, "ptrace", "long", "request", "pid_t", "pid", "void*", "addr", "void*", "data"),
		syscallEvent(311, "process_vm_writev", "pid_t", "pid", "const struct iovec*", "local_iov", "unsigned long", "liovcnt",
			"const struct iovec*", "remote_iov", "unsigned long", "riovcnt", "unsigned long", "flags"),
		syscallEvent(319, "memfd_create", "const char*", "name", "unsigned int", "flags"),
		syscallEvent(175, "init_module", "void*", "module_image", "unsigned long", "len", "const char*", "param_values"),
		syscallEvent(313, "finit_module", "int", "fd", "const char*", "param_values", "int", "flags"),
		syscallEvent(105, "setuid", "uid_t", "uid"),
		syscallEvent(106, "setgid", "gid_t", "gid"),
		syscallEvent(113, "setreuid", "uid_t", "ruid", "uid_t", "euid"),
		syscallEvent(114, "setregid", "gid_t", "rgid", "gid_t", "egid"),
		syscallEvent(117, "setresuid", "uid_t", "ruid", "uid_t", "euid", "uid_t", "suid"),
		syscallEvent(119, "setresgid", "gid_t", "rgid", "gid_t", "egid", "gid_t", "sgid"),
		syscallEvent(122, "setfsuid", "uid_t", "fsuid"),
		syscallEvent(123, "setfsgid", "gid_t", "fsgid"),
		syscallEvent(62, "kill", "pid_t", "pid", "int", "sig"),
		syscallEvent(321, "bpf", "int", "cmd", "union bpf_attr*", "attr", "unsigned int", "size"),
		syscallEvent(87, "unlink", "const char*", "pathname"),
		syscallEvent(263, "unlinkat", "int", "dirfd", "const char*", "pathname", "int", "flags"),
		syscallEvent(90, "chmod", "const char*", "pathname", "mode_t", "mode"),
		syscallEvent(268, "fchmodat", "int", "dirfd", "const char*", "pathname", "mode_t", "mode", "int", "flags"),
		syscallEvent(308, "setns", "int", "fd", "int", "nstype"),
		syscallEvent(272, "unshare", "int", "flags"),
	}
}

// syscallEvent defines a syscall event from (type, name) pairs in C declaration order.
func syscallEvent(nr int, name string, typeName ...string) EventDefinition {
	params := make([]trace.ArgMeta, 0, len(typeName)/2)
	for i := 0; i+1 < len(typeName); i += 2 {
		params = append(params, trace.ArgMeta{Type: typeName[i], Name: typeName[i+1]})
	}
	return EventDefinition{ID: nr, Name: name, Kind: KindSyscall, Sets: []string{"syscalls", "default"}, Params: params}
}
