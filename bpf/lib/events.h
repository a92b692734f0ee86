/* Event IDs and the wire format shared with internal/adapters/ebpf (decode.go).
 * They must stay in sync: IDs match internal/domain/base_events.go (Tracee's numbering) and a Go
 * test compares them and the header size. */
#pragma once

enum event_id {
	EVENT_SCHED_PROCESS_FORK = 714,
	EVENT_SCHED_PROCESS_EXEC = 715,
	EVENT_SCHED_PROCESS_EXIT = 716,
	EVENT_MEM_PROT_ALERT = 724,
	EVENT_MAGIC_WRITE = 727,
	EVENT_SECURITY_FILE_OPEN = 732,
	EVENT_SECURITY_SOCKET_CREATE = 734,
	EVENT_SECURITY_SOCKET_LISTEN = 735,
	EVENT_SECURITY_SOCKET_CONNECT = 736,
	EVENT_SECURITY_SOCKET_ACCEPT = 737,
	EVENT_SECURITY_SOCKET_BIND = 738,
	EVENT_SECURITY_SB_MOUNT = 740,
	EVENT_SECURITY_INODE_SYMLINK = 746,
	EVENT_SOCKET_DUP = 749,
	EVENT_SECURITY_INODE_RENAME = 768,
	EVENT_DO_TRUNCATE = 775,
	EVENT_CGROUP_INFO = 2000, /* internal, not Tracee's: a cgroup's ID and path, for the container cache */
	EVENT_ID_MAX = 2048, /* size of the enable map; syscall events use their syscall number */
};

/* Each argument on the wire starts with one of these tags. */
enum arg_tag {
	TAG_U64 = 1,    /* 8 bytes, little endian */
	TAG_STR = 2,    /* u16 length (with the NUL, if any), bytes */
	TAG_STRARR = 3, /* u16 length, NUL-separated strings */
	TAG_PATH = 4,   /* u8 flags, u16 length, path components leaf first, each NUL-terminated */
	TAG_BYTES = 5,  /* u16 length, bytes (a struct sockaddr) */
};

enum path_flags {
	PATH_KERNEL_MOUNT = 1, /* internal mount (memfd:, pipe:, socket:): no leading slash */
};

/* How the generic syscall exit program encodes each argument (syscall_conf.kinds). */
enum arg_kind {
	KIND_RAW = 0,
	KIND_USER_STR = 1,   /* string: a user string */
	KIND_USER_STRARR = 2, /* []string: a user array of strings (argv, envp), read at entry */
	KIND_SOCKADDR = 3,   /* SockAddr: a user struct sockaddr, sized by its family */
	KIND_TIMESPEC = 4,   /* float64: a user struct timespec (16 bytes) */
	KIND_INT2 = 5,       /* [2]int: a user int[2] (pipe, socketpair), read at exit */
};

enum conf_flags {
	CONF_GLOBAL = 1,   /* served by the raw sys_enter/sys_exit pair, not per-syscall tracepoints */
	CONF_AT_ENTRY = 2, /* emitted at entry (execve, execveat: the old memory is gone at exit) */
};

struct event_header {
	__u64 ts;         /* boot-time ns */
	__u64 start_time; /* thread start, boot-time ns */
	__u64 leader_start_time;
	__u64 cgroup_id;
	__s64 retval;
	__u32 event_id;
	__s32 syscall;
	__u32 host_pid;
	__u32 host_tid;
	__u32 host_ppid;
	__u32 pid;
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 mntns;
	__u32 pidns;
	__u32 cpu;
	__u32 args_len;
	__u8 argc;
	__u8 flags;
	__u16 pad;
	char comm[16];
	char nodename[64];
	__u64 matched; /* policies the event may match (all ones without in-kernel scoping) */
};

struct syscall_conf {
	__u8 nargs;
	__u8 kinds[6];
	__u8 flags; /* enum conf_flags */
};
