package ebpf

// The BPF object is generated from bpf/ and committed, so building needs no clang.
// Regenerate with Debian's clang 14 (byte-identical output): go generate ./internal/adapters/ebpf/...
//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target bpfel -type event_header -type event_id -type syscall_conf -type scope_conf -type scope_bits -type scope_range -type scope_event -type comm_key -type open_filter_conf -type open_name tracee ../../../bpf/tracee.c -- -I../../../bpf/include -I../../../bpf/lib
