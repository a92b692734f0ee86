//go:build ignore

/* The one BPF object the agent loads: every hook family, sharing the maps in lib/common.h.
 * Regenerate with `go generate ./internal/adapters/ebpf/...` (see gen.go there). */
#include "proc.c"
#include "syscalls.c"
#include "file.c"
#include "net.c"
#include "mem.c"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Keep the shared types in BTF so bpf2go generates their Go twins. */
const struct event_header *unused_event_header __attribute__((unused));
const enum event_id *unused_event_id __attribute__((unused));
const struct syscall_conf *unused_syscall_conf __attribute__((unused));
const struct scope_conf *unused_scope_conf __attribute__((unused));
const struct scope_bits *unused_scope_bits __attribute__((unused));
const struct scope_range *unused_scope_range __attribute__((unused));
const struct scope_event *unused_scope_event __attribute__((unused));
const struct comm_key *unused_comm_key __attribute__((unused));
