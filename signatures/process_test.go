package signatures

import (
	"os"
	"testing"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func inetAddrMap(ip, port string) map[string]string {
	return map[string]string{"sa_family": "AF_INET", "sin_addr": ip, "sin_port": port}
}

func connectEvent(fd int32, addr interface{}) trace.Event {
	return event("security_socket_connect", arg("sockfd", fd), arg("type", int32(1)), arg("remote_addr", addr))
}

func dupEvent(newfd int32, addr interface{}) trace.Event {
	return event("socket_dup", arg("oldfd", int32(5)), arg("newfd", newfd), arg("remote_addr", addr))
}

func forkEvent(parentComm string, parentPid, child int32) trace.Event {
	return withProc(event("sched_process_fork", arg("parent_pid", parentPid), arg("child_pid", child), arg("child_tid", child)),
		parentComm, int(parentPid))
}

func execAs(comm string, pid int, path string, stdinMode uint16) trace.Event {
	e := execEvent(path, []string{path}, nil)
	for i := range e.Args {
		if e.Args[i].Name == "stdin_type" {
			e.Args[i].Value = stdinMode
		}
	}
	return withProc(e, comm, pid)
}

func TestStdioOverSocket(t *testing.T) {
	runCases(t, func() detect.Signature { return NewStdioOverSocket() }, []sigCase{
		{name: "dup2 of a TCP socket onto stdin", events: evs(dupEvent(0, inetAddrMap("10.1.1.1", "4444"))), findings: 1,
			data: map[string]interface{}{"IP address": "10.1.1.1", "Port": "4444", "File descriptor": 0}},
		{name: "connect on fd 2", events: evs(connectEvent(2, inetAddrMap("10.1.1.1", "4444"))), findings: 1},
		{name: "address decoded from JSON", events: evs(connectEvent(1, map[string]interface{}{"sa_family": "AF_INET6", "sin6_addr": "::1", "sin6_port": "80"})), findings: 1},
		{name: "ordinary socket fd", events: evs(connectEvent(5, inetAddrMap("10.1.1.1", "443")))},
		{name: "unix socket on stdout (journald)", events: evs(dupEvent(1, map[string]string{"sa_family": "AF_UNIX", "sun_path": "/run/systemd/journal/stdout"}))},
		{name: "port 0", events: evs(dupEvent(0, inetAddrMap("0.0.0.0", "0")))},
	})
}

func TestPtraceCodeInjection(t *testing.T) {
	runCases(t, func() detect.Signature { return NewPtraceCodeInjection() }, []sigCase{
		{name: "POKETEXT", events: evs(ptraceEvent(4)), findings: 1, data: map[string]interface{}{"ptrace request": "PTRACE_POKETEXT"}},
		{name: "POKEDATA", events: evs(ptraceEvent(5)), findings: 1, data: map[string]interface{}{"ptrace request": "PTRACE_POKEDATA"}},
		{name: "PEEKDATA reads only", events: evs(ptraceEvent(2))},
		{name: "ATTACH", events: evs(ptraceEvent(16))},
	})
}

func memAlert(alert uint32) trace.Event {
	return event("mem_prot_alert", arg("alert", alert), arg("addr", trace.Pointer(0x7f0000)), arg("len", uint64(4096)),
		arg("prot", int32(7)), arg("prev_prot", int32(3)))
}

func memAlertFile(alert uint32, file string) trace.Event {
	e := memAlert(alert)
	e.Args = append(e.Args, arg("pathname", file), arg("dev", uint32(0)), arg("inode", uint64(0)))
	return e
}

func TestDynamicCodeLoading(t *testing.T) {
	const libc = "/usr/lib/x86_64-linux-gnu/libc.so.6"
	runCases(t, func() detect.Signature { return NewDynamicCodeLoading() }, []sigCase{
		{name: "mmap W+X", events: evs(memAlert(uint32(trace.ProtAlertMmapWX))), findings: 1,
			data: map[string]interface{}{"alert": trace.ProtAlertMmapWX.String()}},
		{name: "X region made writable", events: evs(memAlert(uint32(trace.ProtAlertMprotectXToWX))), findings: 1},
		{name: "written region made executable", events: evs(memAlert(uint32(trace.ProtAlertMprotectWXToX))), findings: 1},
		{name: "libc code made writable", events: evs(memAlertFile(uint32(trace.ProtAlertMprotectXToWX), libc)), findings: 1,
			data: map[string]interface{}{"pathname": libc}},
		{name: "plain JIT pattern", events: evs(memAlert(uint32(trace.ProtAlertMprotectToX)))},
		{name: "unknown alert", events: evs(memAlert(0))},
	})
}

// JIT engines map anonymous W+X memory on normal work (java -version, git grep -P, node): that is
// reported below severity 2, while patching the code of a mapped file keeps severity 2.
func TestDynamicCodeLoading_severity_separates_JIT_from_code_patching(t *testing.T) {
	tests := []struct {
		name     string
		ev       trace.Event
		severity int
	}{
		{"HotSpot code cache (anonymous mmap RWX)", withExe(withProc(memAlert(uint32(trace.ProtAlertMmapWX)), "java", 5), "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"), jitSeverity},
		{"PCRE2 JIT in git grep -P (anonymous mmap RWX)", withProc(memAlert(uint32(trace.ProtAlertMmapWX)), "git", 5), jitSeverity},
		{"the same anonymous W+X under another name", withExe(withProc(memAlert(uint32(trace.ProtAlertMmapWX)), "git", 5), "/tmp/x/loader"), jitSeverity},
		{"libc text made RWX (in-process hook)", memAlertFile(uint32(trace.ProtAlertMprotectXToWX), "/usr/lib/x86_64-linux-gnu/libc.so.6"), 2},
		{"program file mapped RWX", memAlertFile(uint32(trace.ProtAlertMmapWX), "/tmp/payload.bin"), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(t, NewDynamicCodeLoading(), evs(tt.ev))
			if len(got) != 1 {
				t.Fatalf("%d findings, want 1", len(got))
			}
			if sev := got[0].SigMetadata.Properties["Severity"]; sev != tt.severity {
				t.Errorf("severity %v, want %d", sev, tt.severity)
			}
		})
	}
	if md, _ := NewDynamicCodeLoading().GetMetadata(); md.Properties["Severity"] != 2 {
		t.Errorf("signature severity %v, want 2 (the JIT copy must not alter it)", md.Properties["Severity"])
	}
}

func TestK8sAPIConnection(t *testing.T) {
	withEnv := containerized(execEvent("/app", nil, []string{"KUBERNETES_SERVICE_HOST=10.96.0.1", "PATH=/bin"}))
	runCases(t, func() detect.Signature { return NewK8sAPIConnection() }, []sigCase{
		{name: "container connects to the API server", events: evs(withEnv, containerized(connectEvent(3, inetAddrMap("10.96.0.1", "443")))), findings: 1,
			data: map[string]interface{}{"ip": "10.96.0.1"}},
		{name: "container connects elsewhere", events: evs(withEnv, containerized(connectEvent(3, inetAddrMap("1.1.1.1", "443"))))},
		{name: "no API server known for this container", events: evs(containerized(connectEvent(3, inetAddrMap("10.96.0.1", "443"))))},
		{name: "host process", events: evs(execEvent("/app", nil, []string{"KUBERNETES_SERVICE_HOST=10.96.0.1"}), connectEvent(3, inetAddrMap("10.96.0.1", "443")))},
	})
}

func mountEvent(dev, path string) trace.Event {
	return event("security_sb_mount", arg("dev_name", dev), arg("path", path), arg("type", "ext4"), arg("flags", uint64(0)))
}

func TestDiskMount(t *testing.T) {
	runCases(t, func() detect.Signature { return NewDiskMount() }, []sigCase{
		{name: "container mounts a disk", events: evs(containerized(mountEvent("/dev/sda1", "/mnt"))), findings: 1,
			data: map[string]interface{}{"mounted device": "/dev/sda1", "mount path": "/mnt"}},
		{name: "container mounts tmpfs", events: evs(containerized(mountEvent("tmpfs", "/mnt")))},
		{name: "host mounts a disk", events: evs(mountEvent("/dev/sda1", "/mnt"))},
	})
}

func magicWrite(path string, bytes interface{}) trace.Event {
	return event("magic_write", arg("pathname", path), arg("bytes", bytes), arg("dev", uint32(0)), arg("inode", uint64(1)))
}

func TestHiddenFileCreated(t *testing.T) {
	elf := []byte{0x7f, 'E', 'L', 'F', 2, 1}
	runCases(t, func() detect.Signature { return NewHiddenFileCreated() }, []sigCase{
		{name: "ELF written to a dot file", events: evs(magicWrite("/tmp/.x", elf)), findings: 1, data: map[string]interface{}{"pathname": "/tmp/.x"}},
		{name: "ELF written, bytes as base64 from JSON", events: evs(magicWrite("/tmp/.x", "f0VMRgIBAQ==")), findings: 1},
		{name: "program run from a dot file", events: evs(execEvent("/dev/shm/.cache", nil, nil)), findings: 1},
		{name: "script written to a dot file", events: evs(magicWrite("/tmp/.x", []byte("#!/bin/sh")))},
		{name: "ELF in a hidden folder, visible name", events: evs(magicWrite("/root/.cache/go-build/a.out", elf))},
		{name: "ordinary exec", events: evs(execEvent("/usr/bin/ls", nil, nil))},
	})
}

func TestDroppedExecutable(t *testing.T) {
	elf := []byte{0x7f, 'E', 'L', 'F'}
	runCases(t, func() detect.Signature { return NewDroppedExecutable() }, []sigCase{
		{name: "ELF written in a container", events: evs(containerized(magicWrite("/tmp/miner", elf))), findings: 1},
		{name: "ELF written on the host (go build)", events: evs(magicWrite("/tmp/go-build/a.out", elf))},
		{name: "ELF into a memfd", events: evs(containerized(magicWrite("memfd:x", elf)))},
		{name: "text file", events: evs(containerized(magicWrite("/tmp/a.txt", []byte("hello"))))},
	})
}

func TestIllegitimateShell(t *testing.T) {
	runCases(t, func() detect.Signature { return NewIllegitimateShell() }, []sigCase{
		{name: "nginx worker forks and runs sh", events: evs(forkEvent("nginx", 10, 11), execAs("sh", 11, "/bin/sh", 0o020000)), findings: 1,
			data: map[string]interface{}{"web server": "nginx", "shell": "/bin/sh"}},
		{name: "apache execs bash in place", events: evs(execAs("apache2", 20, "/usr/sbin/apache2", 0), execAs("bash", 20, "/usr/bin/bash", 0)), findings: 1},
		{name: "nginx runs a helper that is not a shell", events: evs(forkEvent("nginx", 10, 11), execAs("logger", 11, "/usr/bin/logger", 0))},
		{name: "shell from a terminal", events: evs(forkEvent("sshd", 10, 11), execAs("bash", 11, "/bin/bash", 0o020000))},
		{name: "process exited and its pid was reused", events: evs(forkEvent("nginx", 10, 11),
			withProc(event("sched_process_exit", arg("exit_code", int32(0)), arg("process_group_exit", true)), "nginx", 11),
			forkEvent("bash", 5, 11), execAs("sh", 11, "/bin/sh", 0))},
	})
}

func TestReverseShell(t *testing.T) {
	const sock, pipe = uint16(0o140777), uint16(0o010600)
	runCases(t, func() detect.Signature { return NewReverseShell() }, []sigCase{
		{name: "shell with a socket as stdin", events: evs(forkEvent("python3", 30, 31), execAs("sh", 31, "/bin/sh", sock)), findings: 1,
			data: map[string]interface{}{"shell": "/bin/sh", "parent": "python3"}},
		{name: "parent unknown", events: evs(execAs("bash", 40, "/bin/bash", sock)), findings: 1},
		{name: "sshd session without pty", events: evs(forkEvent("sshd", 30, 31), execAs("bash", 31, "/bin/bash", sock))},
		{name: "shell in a pipeline", events: evs(execAs("sh", 40, "/bin/sh", pipe))},
		{name: "non-shell with socket stdin", events: evs(execAs("cat", 40, "/bin/cat", sock))},
	})
}

func TestKernelModuleLoading(t *testing.T) {
	runCases(t, func() detect.Signature { return NewKernelModuleLoading() }, []sigCase{
		{name: "finit_module", events: evs(event("finit_module", arg("fd", int32(3)), arg("param_values", ""), arg("flags", int32(0)))), findings: 1,
			data: map[string]interface{}{"syscall": "finit_module"}},
		{name: "init_module", events: evs(event("init_module", arg("module_image", trace.Pointer(1)), arg("len", uint64(10)), arg("param_values", "x=1"))), findings: 1},
		{name: "Tracee's module_load", events: evs(event("module_load", arg("name", "rootkit"))), findings: 1, data: map[string]interface{}{"name": "rootkit"}},
		{name: "other events", events: evs(openEvent("/lib/modules/x.ko", rdOnly))},
	})
}

func TestDockerAbuse(t *testing.T) {
	sock := map[string]string{"sa_family": "AF_UNIX", "sun_path": "/var/run/docker.sock"}
	runCases(t, func() detect.Signature { return NewDockerAbuse() }, []sigCase{
		{name: "container connects to docker.sock", events: evs(containerized(connectEvent(3, sock))), findings: 1,
			data: map[string]interface{}{"path": "/var/run/docker.sock"}},
		{name: "container opens docker.sock for writing", events: evs(containerized(openEvent("/run/docker.sock", rdWr))), findings: 1},
		{name: "host docker CLI", events: evs(connectEvent(3, sock))},
		{name: "container uses another unix socket", events: evs(containerized(connectEvent(3, map[string]string{"sa_family": "AF_UNIX", "sun_path": "/tmp/app.sock"})))},
	})
}

func TestProcessVMWriteInject(t *testing.T) {
	runCases(t, func() detect.Signature { return NewProcessVMWriteInject() }, []sigCase{
		{name: "write into another process", events: evs(event("process_vm_writev", arg("pid", int32(555)))), findings: 1,
			data: map[string]interface{}{"target pid": 555}},
		{name: "write into itself", events: evs(event("process_vm_writev", arg("pid", int32(100))))},
	})
}

func TestHostNamespaceEntry(t *testing.T) {
	open := func(p string) trace.Event { return withProc(openEvent(p, rdOnly), "nsenter", 50) }
	setns := func(ret int) trace.Event {
		e := withProc(event("setns", arg("fd", int32(3)), arg("nstype", int32(0x20000))), "nsenter", 50)
		e.ReturnValue = ret
		return e
	}
	runCases(t, func() detect.Signature { return NewHostNamespaceEntry() }, []sigCase{
		{name: "nsenter --target 1", events: evs(open("/proc/1/ns/mnt"), setns(0)), findings: 1,
			data: map[string]interface{}{"namespace": "/proc/1/ns/mnt"}},
		{name: "failed setns", events: evs(open("/proc/1/ns/mnt"), setns(-1))},
		{name: "namespace of another pid", events: evs(open("/proc/77/ns/mnt"), setns(0))},
		{name: "setns by another process", events: evs(open("/proc/1/ns/mnt"), withProc(setns(0), "runc", 51))},
		{name: "opened then exited", events: evs(open("/proc/1/ns/net"),
			withProc(event("sched_process_exit", arg("process_group_exit", true)), "nsenter", 50), setns(0))},
	})
}

func TestBpfProgramLoad(t *testing.T) {
	load := func(comm string, pid int) trace.Event {
		return withProc(event("bpf", arg("cmd", int32(5)), arg("attr", trace.Pointer(1)), arg("size", uint32(128))), comm, pid)
	}
	runCases(t, func() detect.Signature { return NewBpfProgramLoad() }, []sigCase{
		{name: "bpftool loads a program", events: evs(load("bpftool", 4242)), findings: 1, data: map[string]interface{}{"command": "BPF_PROG_LOAD"}},
		{name: "the agent itself", events: evs(load("tracee.test", os.Getpid()))},
		{name: "systemd cgroup filters", events: evs(load("systemd", 1))},
		{name: "runc device filter", events: evs(load("runc", 77))},
		{name: "map lookup", events: evs(withProc(event("bpf", arg("cmd", int32(1))), "bpftool", 4242))},
	})
}

func TestSetuidBinaryCreated(t *testing.T) {
	chmod := func(mode uint16) trace.Event {
		return withProc(event("fchmodat", arg("dirfd", int32(-100)), arg("pathname", "/tmp/sh"), arg("mode", mode), arg("flags", int32(0))), "chmod", 9)
	}
	runCases(t, func() detect.Signature { return NewSetuidBinaryCreated() }, []sigCase{
		{name: "chmod 4755", events: evs(chmod(0o4755)), findings: 1, data: map[string]interface{}{"pathname": "/tmp/sh", "mode": "04755", "bits": "setuid"}},
		{name: "chmod syscall", events: evs(event("chmod", arg("pathname", "/tmp/x"), arg("mode", uint16(0o4711)))), findings: 1},
		{name: "chmod g+s (02755)", events: evs(chmod(0o2755)), findings: 1, data: map[string]interface{}{"mode": "02755", "bits": "setgid"}},
		{name: "setuid bit on a non-executable", events: evs(chmod(0o4644)), findings: 1, data: map[string]interface{}{"mode": "04644"}},
		{name: "setgid without exec bits", events: evs(chmod(0o2644)), findings: 1},
		{name: "both bits", events: evs(chmod(0o6755)), findings: 1, data: map[string]interface{}{"bits": "setuid,setgid"}},
		{name: "failed chmod", events: evs(func() trace.Event { e := chmod(0o4755); e.ReturnValue = -1; return e }())},
		{name: "chmod 755", events: evs(chmod(0o755))},
		{name: "sticky bit only", events: evs(chmod(0o1777))},
		{name: "dpkg installs su", events: evs(withProc(chmod(0o4755), "dpkg", 9))},
		{name: "a copy of chmod named dpkg", events: evs(withExe(withProc(chmod(0o4755), "dpkg", 9), "/tmp/dpkg")), findings: 1},
	})
}

func BenchmarkSignature_stdio_over_socket(b *testing.B) {
	benchSignature(b, NewStdioOverSocket(), dupEvent(0, inetAddrMap("10.0.0.1", "4444")), dupEvent(5, inetAddrMap("10.0.0.1", "443")))
}

func BenchmarkSignature_ptrace_code_injection(b *testing.B) {
	benchSignature(b, NewPtraceCodeInjection(), ptraceEvent(5), ptraceEvent(2))
}

func BenchmarkSignature_dynamic_code_loading(b *testing.B) {
	benchSignature(b, NewDynamicCodeLoading(), memAlert(uint32(trace.ProtAlertMmapWX)), memAlert(uint32(trace.ProtAlertMprotectToX)))
}

func BenchmarkSignature_k8s_api_connection(b *testing.B) {
	sig := NewK8sAPIConnection()
	sig.apiHost["c0ffee"] = "10.96.0.1"
	benchSignature(b, sig, containerized(connectEvent(3, inetAddrMap("10.96.0.1", "443"))), containerized(connectEvent(3, inetAddrMap("1.1.1.1", "443"))))
}

func BenchmarkSignature_disk_mount(b *testing.B) {
	benchSignature(b, NewDiskMount(), containerized(mountEvent("/dev/sda1", "/mnt")), containerized(mountEvent("proc", "/proc")))
}

func BenchmarkSignature_hidden_file_created(b *testing.B) {
	benchSignature(b, NewHiddenFileCreated(), execEvent("/tmp/.x", nil, nil), execEvent("/usr/bin/ls", nil, nil))
}

func BenchmarkSignature_dropped_executable(b *testing.B) {
	benchSignature(b, NewDroppedExecutable(), containerized(magicWrite("/tmp/m", []byte("\x7fELF"))), magicWrite("/tmp/m", []byte("\x7fELF")))
}

func BenchmarkSignature_illegitimate_shell(b *testing.B) {
	// A finding needs the fork that names the parent, so "match" feeds a fork and an exec per round.
	benchPair(b, NewIllegitimateShell(), forkEvent("nginx", 10, 11), execAs("sh", 11, "/bin/sh", 0), execAs("ls", 12, "/bin/ls", 0))
}

func BenchmarkSignature_reverse_shell(b *testing.B) {
	benchSignature(b, NewReverseShell(), execAs("sh", 11, "/bin/sh", 0o140777), execAs("ls", 12, "/bin/ls", 0o020000))
}

func BenchmarkSignature_kernel_module_loading(b *testing.B) {
	benchSignature(b, NewKernelModuleLoading(), event("finit_module", arg("fd", int32(3))), event("module_free"))
}

func BenchmarkSignature_process_vm_write_inject(b *testing.B) {
	benchSignature(b, NewProcessVMWriteInject(), event("process_vm_writev", arg("pid", int32(555))), event("process_vm_writev", arg("pid", int32(100))))
}

func BenchmarkSignature_host_namespace_entry(b *testing.B) {
	setns := withProc(event("setns", arg("fd", int32(3)), arg("nstype", int32(0))), "nsenter", 5)
	benchPair(b, NewHostNamespaceEntry(), withProc(openEvent("/proc/1/ns/mnt", rdOnly), "nsenter", 5), setns, openEvent("/etc/passwd", rdOnly))
}

func BenchmarkSignature_docker_abuse(b *testing.B) {
	sock := map[string]string{"sa_family": "AF_UNIX", "sun_path": "/var/run/docker.sock"}
	benchSignature(b, NewDockerAbuse(), containerized(connectEvent(3, sock)), containerized(connectEvent(3, inetAddrMap("1.1.1.1", "443"))))
}

func BenchmarkSignature_bpf_program_load(b *testing.B) {
	benchSignature(b, NewBpfProgramLoad(), withProc(event("bpf", arg("cmd", int32(5))), "bpftool", 4242), withProc(event("bpf", arg("cmd", int32(1))), "bpftool", 4242))
}

func BenchmarkSignature_setuid_binary_created(b *testing.B) {
	benchSignature(b, NewSetuidBinaryCreated(), event("chmod", arg("pathname", "/tmp/x"), arg("mode", uint16(0o4755))), event("chmod", arg("pathname", "/tmp/x"), arg("mode", uint16(0o755))))
}
