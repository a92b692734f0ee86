package ebpf

// syscallNames names the x86_64 syscalls the hooks run in, for trace.Event.Syscall. Syscall
// events of the catalog add their own (their ID is the syscall number).
var syscallNames = map[int32]string{
	0: "read", 1: "write", 2: "open", 9: "mmap", 10: "mprotect", 32: "dup", 33: "dup2", 42: "connect",
	56: "clone", 57: "fork", 58: "vfork", 59: "execve", 60: "exit", 82: "rename", 85: "creat",
	165: "mount", 231: "exit_group", 257: "openat", 264: "renameat", 292: "dup3", 316: "renameat2",
	322: "execveat", 435: "clone3", 437: "openat2",
}
