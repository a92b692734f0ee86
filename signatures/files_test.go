package signatures

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

const (
	rdOnly = int32(0)
	wrOnly = int32(0o1)
	rdWr   = int32(0o2)
	wrTrnc = int32(0o1101) // O_WRONLY|O_CREAT|O_TRUNC
)

func evs(e ...trace.Event) []trace.Event { return e }

func TestCgroupNotifyOnRelease(t *testing.T) {
	runCases(t, func() detect.Signature { return NewCgroupNotifyOnRelease() }, []sigCase{
		{name: "write", events: evs(openEvent("/sys/fs/cgroup/rdma/x/notify_on_release", wrOnly)), findings: 1,
			data: map[string]interface{}{"pathname": "/sys/fs/cgroup/rdma/x/notify_on_release"}},
		{name: "read is fine", events: evs(openEvent("/sys/fs/cgroup/rdma/notify_on_release", rdOnly))},
		{name: "other cgroup file", events: evs(openEvent("/sys/fs/cgroup/rdma/tasks", wrOnly))},
	})
}

func TestCgroupReleaseAgent(t *testing.T) {
	runCases(t, func() detect.Signature { return NewCgroupReleaseAgent() }, []sigCase{
		{name: "write", events: evs(openEvent("/tmp/cgrp/release_agent", wrOnly)), findings: 1},
		{name: "rename onto it", events: evs(renameEvent("/tmp/x", "/sys/fs/cgroup/rdma/release_agent")), findings: 1},
		{name: "read", events: evs(openEvent("/sys/fs/cgroup/rdma/release_agent", rdOnly))},
		{name: "lookalike name", events: evs(openEvent("/tmp/release_agent.txt", wrOnly))},
	})
}

func TestK8sServiceAccountToken(t *testing.T) {
	const tok = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	runCases(t, func() detect.Signature { return NewK8sServiceAccountToken() }, []sigCase{
		{name: "read by a shell", events: evs(withProc(openEvent(tok, rdOnly), "cat", 9)), findings: 1},
		{name: "read by kubectl", events: evs(withProc(openEvent(tok, rdOnly), "kubectl", 9))},
		{name: "other secret", events: evs(withProc(openEvent("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt", rdOnly), "cat", 9))},
	})
}

func TestAslrInspection(t *testing.T) {
	runCases(t, func() detect.Signature { return NewAslrInspection() }, []sigCase{
		{name: "read", events: evs(openEvent("/proc/sys/kernel/randomize_va_space", rdOnly)), findings: 1},
		{name: "write is not inspection", events: evs(openEvent("/proc/sys/kernel/randomize_va_space", wrOnly))},
		{name: "other sysctl", events: evs(openEvent("/proc/sys/kernel/hostname", rdOnly))},
	})
}

func TestCorePatternModification(t *testing.T) {
	runCases(t, func() detect.Signature { return NewCorePatternModification() }, []sigCase{
		{name: "write", events: evs(openEvent("/proc/sys/kernel/core_pattern", wrOnly)), findings: 1},
		{name: "read", events: evs(openEvent("/proc/sys/kernel/core_pattern", rdOnly))},
	})
}

func TestDefaultLoaderMod(t *testing.T) {
	const ld = "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
	runCases(t, func() detect.Signature { return NewDefaultLoaderMod() }, []sigCase{
		{name: "write", events: evs(openEvent(ld, rdWr)), findings: 1, data: map[string]interface{}{"pathname": ld}},
		{name: "write to /lib64", events: evs(openEvent("/lib64/ld-linux-x86-64.so.2", wrOnly)), findings: 1},
		{name: "rename onto", events: evs(renameEvent("/tmp/ld", "/lib/ld-musl-x86_64.so.1")), findings: 1},
		{name: "dpkg upgrade", events: evs(withProc(openEvent(ld, wrOnly), "dpkg", 5))},
		{name: "read by every program", events: evs(openEvent(ld, rdOnly))},
		{name: "libldap is not the loader", events: evs(openEvent("/usr/lib/x86_64-linux-gnu/libldap.so.2", wrOnly))},
		{name: "outside lib", events: evs(openEvent("/tmp/ld-linux.so.2", wrOnly))},
	})
}

func TestK8sCertTheft(t *testing.T) {
	runCases(t, func() detect.Signature { return NewK8sCertTheft() }, []sigCase{
		{name: "read by cat", events: evs(withProc(openEvent("/etc/kubernetes/pki/ca.key", rdOnly), "cat", 3)), findings: 1},
		{name: "moved away", events: evs(withProc(renameEvent("/etc/kubernetes/pki/ca.key", "/tmp/k"), "mv", 3)), findings: 1},
		{name: "read by the API server", events: evs(withProc(openEvent("/etc/kubernetes/pki/ca.key", rdOnly), "kube-apiserver", 3))},
		{name: "other folder", events: evs(withProc(openEvent("/etc/kubernetes/admin.conf", rdOnly), "cat", 3))},
	})
}

func TestProcKcoreRead(t *testing.T) {
	runCases(t, func() detect.Signature { return NewProcKcoreRead() }, []sigCase{
		{name: "read", events: evs(openEvent("/proc/kcore", rdOnly)), findings: 1},
		{name: "other proc file", events: evs(openEvent("/proc/kallsyms", rdOnly))},
	})
}

func TestProcMemAccess(t *testing.T) {
	runCases(t, func() detect.Signature { return NewProcMemAccess() }, []sigCase{
		{name: "read another pid", events: evs(openEvent("/proc/1234/mem", rdOnly)), findings: 1},
		{name: "read self", events: evs(openEvent("/proc/self/mem", rdWr)), findings: 1},
		{name: "read a thread", events: evs(openEvent("/proc/12/task/13/mem", rdOnly)), findings: 1},
		{name: "write only", events: evs(openEvent("/proc/1234/mem", wrOnly))},
		{name: "meminfo", events: evs(openEvent("/proc/meminfo", rdOnly))},
		{name: "not a pid", events: evs(openEvent("/proc/abc/mem", rdOnly))},
	})
}

func TestProcMemCodeInjection(t *testing.T) {
	runCases(t, func() detect.Signature { return NewProcMemCodeInjection() }, []sigCase{
		{name: "write", events: evs(openEvent("/proc/1234/mem", wrOnly)), findings: 1},
		{name: "read-write", events: evs(openEvent("/proc/self/mem", rdWr)), findings: 1},
		{name: "read", events: evs(openEvent("/proc/1234/mem", rdOnly))},
	})
}

func TestRcdModification(t *testing.T) {
	runCases(t, func() detect.Signature { return NewRcdModification() }, []sigCase{
		{name: "rc.local", events: evs(openEvent("/etc/rc.local", wrOnly)), findings: 1},
		{name: "init script", events: evs(openEvent("/etc/init.d/backdoor", wrTrnc)), findings: 1},
		{name: "runlevel link target", events: evs(renameEvent("/tmp/s", "/etc/rc2.d/S99x")), findings: 1},
		{name: "update-rc.d", events: evs(execEvent("/usr/sbin/update-rc.d", nil, nil)), findings: 1},
		{name: "dpkg installs an init script", events: evs(withProc(openEvent("/etc/init.d/ssh", wrOnly), "dpkg", 4))},
		{name: "reading init scripts", events: evs(openEvent("/etc/init.d/ssh", rdOnly))},
		{name: "other /etc file", events: evs(openEvent("/etc/rcfile", wrOnly))},
	})
}

func TestScheduledTaskMod(t *testing.T) {
	runCases(t, func() detect.Signature { return NewScheduledTaskMod() }, []sigCase{
		{name: "crontab file", events: evs(openEvent("/etc/crontab", wrOnly)), findings: 1},
		{name: "cron.d", events: evs(openEvent("/etc/cron.d/job", wrTrnc)), findings: 1},
		{name: "user crontab", events: evs(renameEvent("/var/spool/cron/crontabs/tmp.x", "/var/spool/cron/crontabs/root")), findings: 1},
		{name: "crontab program", events: evs(execEvent("/usr/bin/crontab", []string{"crontab", "-e"}, nil)), findings: 1},
		{name: "crontab -l only reads", events: evs(execEvent("/usr/bin/crontab", []string{"crontab", "-l"}, nil))},
		{name: "cron reads its table", events: evs(openEvent("/etc/crontab", rdOnly))},
		{name: "cron.allow", events: evs(openEvent("/etc/cron.allow", wrOnly))},
	})
}

func TestSudoersModification(t *testing.T) {
	runCases(t, func() detect.Signature { return NewSudoersModification() }, []sigCase{
		{name: "sudoers", events: evs(openEvent("/etc/sudoers", wrOnly)), findings: 1},
		{name: "sudoers.d", events: evs(renameEvent("/tmp/x", "/etc/sudoers.d/evil")), findings: 1},
		{name: "sudo reads it", events: evs(withProc(openEvent("/etc/sudoers", rdOnly), "sudo", 3))},
		{name: "package upgrade", events: evs(withProc(openEvent("/etc/sudoers.d/README", wrOnly), "dpkg", 3))},
	})
}

func TestSchedDebugRecon(t *testing.T) {
	runCases(t, func() detect.Signature { return NewSchedDebugRecon() }, []sigCase{
		{name: "procfs", events: evs(openEvent("/proc/sched_debug", rdOnly)), findings: 1},
		{name: "debugfs", events: evs(openEvent("/sys/kernel/debug/sched/debug", rdOnly)), findings: 1},
		{name: "other debugfs file", events: evs(openEvent("/sys/kernel/debug/sched/features", rdOnly))},
	})
}

func TestSystemRequestKeyMod(t *testing.T) {
	runCases(t, func() detect.Signature { return NewSystemRequestKeyMod() }, []sigCase{
		{name: "sysrq config", events: evs(openEvent("/proc/sys/kernel/sysrq", wrOnly)), findings: 1},
		{name: "sysrq trigger", events: evs(openEvent("/proc/sysrq-trigger", wrOnly)), findings: 1},
		{name: "read", events: evs(openEvent("/proc/sys/kernel/sysrq", rdOnly))},
	})
}

func TestCredentialFileRead(t *testing.T) {
	runCases(t, func() detect.Signature { return NewCredentialFileRead() }, []sigCase{
		{name: "shadow by cat", events: evs(withProc(openEvent("/etc/shadow", rdOnly), "cat", 7)), findings: 1,
			data: map[string]interface{}{"pathname": "/etc/shadow"}},
		{name: "private key by python", events: evs(withProc(openEvent("/home/ann/.ssh/id_ed25519", rdOnly), "python3", 7)), findings: 1},
		{name: "host key by tar", events: evs(withProc(openEvent("/etc/ssh/ssh_host_rsa_key", rdOnly), "tar", 7)), findings: 1},
		{name: "shadow by passwd", events: evs(withProc(openEvent("/etc/shadow", rdWr), "passwd", 7))},
		{name: "key by ssh", events: evs(withProc(openEvent("/root/.ssh/id_rsa", rdOnly), "ssh", 7))},
		{name: "public key", events: evs(withProc(openEvent("/root/.ssh/id_rsa.pub", rdOnly), "cat", 7))},
		{name: "key outside .ssh (ssh-keygen -f /tmp/x/id_rsa, then cat)", events: evs(withProc(openEvent("/tmp/x/id_rsa", rdOnly), "cat", 7))},
		{name: "passwd is public", events: evs(withProc(openEvent("/etc/passwd", rdOnly), "cat", 7))},
		{name: "write is not a read", events: evs(withProc(openEvent("/etc/shadow", wrOnly), "cat", 7))},
		{name: "cat copied to a file named sudo", events: evs(withExe(withProc(openEvent("/etc/shadow", rdOnly), "sudo", 7), "/tmp/x/sudo")), findings: 1},
		{name: "sudo without a known path (comm only)", events: evs(withExe(withProc(openEvent("/etc/shadow", rdOnly), "sudo", 7), ""))},
		{name: "real sudo", events: evs(withProc(openEvent("/etc/shadow", rdOnly), "sudo", 7))},
		{name: "hardlink of a shadow file seen before", events: evs(
			withProc(withInode(openEvent("/etc/shadow", rdOnly), 66, 4242), "sudo", 7),
			withProc(withInode(openEvent("/var/tmp/innocent", rdOnly), 66, 4242), "cat", 8)), findings: 1,
			data: map[string]interface{}{"pathname": "/var/tmp/innocent", "link_to": "/etc/shadow"}},
		{name: "relative path and /proc/self/fd resolve to the file", events: evs(withProc(openEvent("/etc/gshadow", rdOnly), "python3", 7)), findings: 1},
		{name: "other file on the same device", events: evs(
			withProc(withInode(openEvent("/etc/shadow", rdOnly), 66, 4242), "sudo", 7),
			withProc(withInode(openEvent("/var/tmp/innocent", rdOnly), 66, 4243), "cat", 8))},
	})
}

// The machine's own /etc/shadow is known by inode from Init: a hardlink made before the agent
// started is caught on its first read.
func TestCredentialFileRead_hardlink_made_before_start(t *testing.T) {
	var st unix.Stat_t
	if err := unix.Stat("/etc/shadow", &st); err != nil {
		t.Skipf("no /etc/shadow here: %v", err)
	}
	ev := withProc(withInode(openEvent("/tmp/e2e-link", rdOnly), kernelDev(st.Dev), st.Ino), "cat", 8)
	if got := collect(t, NewCredentialFileRead(), evs(ev)); len(got) != 1 {
		t.Fatalf("%d findings, want 1", len(got))
	}
}

func withInode(ev trace.Event, dev uint32, inode uint64) trace.Event {
	for i := range ev.Args {
		switch ev.Args[i].Name {
		case "dev":
			ev.Args[i].Value = dev
		case "inode":
			ev.Args[i].Value = inode
		}
	}
	return ev
}

func TestSSHAuthorizedKeysMod(t *testing.T) {
	runCases(t, func() detect.Signature { return NewSSHAuthorizedKeysMod() }, []sigCase{
		{name: "append a key", events: evs(openEvent("/root/.ssh/authorized_keys", int32(0o2101))), findings: 1},
		{name: "replace the file", events: evs(renameEvent("/tmp/k", "/home/u/.ssh/authorized_keys2")), findings: 1},
		{name: "sshd reads it", events: evs(withProc(openEvent("/root/.ssh/authorized_keys", rdOnly), "sshd", 3))},
		{name: "not in .ssh", events: evs(openEvent("/tmp/authorized_keys", wrOnly))},
	})
}

func TestPamModification(t *testing.T) {
	runCases(t, func() detect.Signature { return NewPamModification() }, []sigCase{
		{name: "pam.d", events: evs(openEvent("/etc/pam.d/common-auth", wrOnly)), findings: 1},
		{name: "module", events: evs(renameEvent("/tmp/p.so", "/usr/lib/x86_64-linux-gnu/security/pam_unix.so")), findings: 1},
		{name: "pam.conf", events: evs(openEvent("/etc/pam.conf", wrTrnc)), findings: 1},
		{name: "dpkg", events: evs(withProc(openEvent("/etc/pam.d/sshd", wrOnly), "dpkg", 3))},
		{name: "login reads it", events: evs(openEvent("/etc/pam.d/login", rdOnly))},
		{name: "not a module", events: evs(openEvent("/usr/lib/x86_64-linux-gnu/security/README", wrOnly))},
	})
}

func TestSystemdUnitMod(t *testing.T) {
	runCases(t, func() detect.Signature { return NewSystemdUnitMod() }, []sigCase{
		{name: "system unit", events: evs(openEvent("/etc/systemd/system/evil.service", wrTrnc)), findings: 1},
		{name: "drop-in", events: evs(openEvent("/etc/systemd/system/ssh.service.d/override.conf", wrOnly)), findings: 1},
		{name: "user timer", events: evs(renameEvent("/tmp/t", "/home/u/.config/systemd/user/x.timer")), findings: 1},
		{name: "vendor unit by dpkg", events: evs(withProc(openEvent("/usr/lib/systemd/system/ssh.service", wrOnly), "dpkg", 3))},
		{name: "read", events: evs(openEvent("/etc/systemd/system/evil.service", rdOnly))},
		{name: "not a unit", events: evs(openEvent("/etc/systemd/system/notes.txt", wrOnly))},
	})
}

func TestLogTampering(t *testing.T) {
	runCases(t, func() detect.Signature { return NewLogTampering() }, []sigCase{
		{name: "truncate auth.log", events: evs(withProc(openEvent("/var/log/auth.log", wrTrnc), "sh", 3)), findings: 1,
			data: map[string]interface{}{"action": "truncated"}},
		{name: "delete wtmp", events: evs(withProc(event("unlinkat", arg("dirfd", int32(-100)), arg("pathname", "/var/log/wtmp"), arg("flags", int32(0))), "rm", 3)), findings: 1,
			data: map[string]interface{}{"action": "deleted"}},
		{name: "unlink", events: evs(event("unlink", arg("pathname", "/var/log/syslog"))), findings: 1},
		{name: "failed delete", events: evs(func() trace.Event {
			e := event("unlink", arg("pathname", "/var/log/syslog"))
			e.ReturnValue = -13
			return e
		}())},
		{name: "append is normal logging", events: evs(openEvent("/var/log/syslog", int32(0o2101)&^0o1000))},
		{name: "logrotate", events: evs(withProc(openEvent("/var/log/syslog", wrTrnc), "logrotate", 3))},
		{name: "outside /var/log", events: evs(openEvent("/tmp/x.log", wrTrnc))},
		{name: "truncate -s0 (ftruncate)", events: evs(withProc(event("do_truncate", arg("pathname", "/var/log/syslog"), arg("inode", uint64(5)),
			arg("dev", uint32(7)), arg("length", uint64(0))), "truncate", 3)), findings: 1,
			data: map[string]interface{}{"pathname": "/var/log/syslog", "action": "truncated"}},
		{name: "truncate outside /var/log", events: evs(event("do_truncate", arg("pathname", "/tmp/x.log"), arg("length", uint64(0))))},
		{name: "logrotate copytruncate", events: evs(withProc(event("do_truncate", arg("pathname", "/var/log/syslog"), arg("length", uint64(0))), "logrotate", 3))},
	})
}

func BenchmarkSignature_cgroup_notify_on_release(b *testing.B) {
	benchSignature(b, NewCgroupNotifyOnRelease(), openEvent("/sys/fs/cgroup/x/notify_on_release", wrOnly), openEvent("/etc/passwd", rdOnly))
}

func BenchmarkSignature_cgroup_release_agent(b *testing.B) {
	benchSignature(b, NewCgroupReleaseAgent(), openEvent("/sys/fs/cgroup/x/release_agent", wrOnly), openEvent("/etc/passwd", rdOnly))
}

func BenchmarkSignature_k8s_service_account_token(b *testing.B) {
	benchSignature(b, NewK8sServiceAccountToken(), openEvent("/run/secrets/kubernetes.io/serviceaccount/token", rdOnly), openEvent("/etc/passwd", rdOnly))
}

func BenchmarkSignature_aslr_inspection(b *testing.B) {
	benchSignature(b, NewAslrInspection(), openEvent("/proc/sys/kernel/randomize_va_space", rdOnly), openEvent("/etc/passwd", rdOnly))
}

func BenchmarkSignature_core_pattern_modification(b *testing.B) {
	benchSignature(b, NewCorePatternModification(), openEvent("/proc/sys/kernel/core_pattern", wrOnly), openEvent("/etc/passwd", wrOnly))
}

func BenchmarkSignature_default_loader_mod(b *testing.B) {
	benchSignature(b, NewDefaultLoaderMod(), openEvent("/lib64/ld-linux-x86-64.so.2", wrOnly), openEvent("/usr/lib/x86_64-linux-gnu/libc.so.6", wrOnly))
}

func BenchmarkSignature_k8s_cert_theft(b *testing.B) {
	benchSignature(b, NewK8sCertTheft(), openEvent("/etc/kubernetes/pki/ca.key", rdOnly), openEvent("/etc/passwd", rdOnly))
}

func BenchmarkSignature_proc_kcore_read(b *testing.B) {
	benchSignature(b, NewProcKcoreRead(), openEvent("/proc/kcore", rdOnly), openEvent("/proc/meminfo", rdOnly))
}

func BenchmarkSignature_proc_mem_access(b *testing.B) {
	benchSignature(b, NewProcMemAccess(), openEvent("/proc/123/mem", rdOnly), openEvent("/proc/123/maps", rdOnly))
}

func BenchmarkSignature_proc_mem_code_injection(b *testing.B) {
	benchSignature(b, NewProcMemCodeInjection(), openEvent("/proc/123/mem", wrOnly), openEvent("/proc/123/mem", rdOnly))
}

func BenchmarkSignature_rcd_modification(b *testing.B) {
	benchSignature(b, NewRcdModification(), openEvent("/etc/rc.local", wrOnly), openEvent("/etc/hosts", wrOnly))
}

func BenchmarkSignature_scheduled_task_mod(b *testing.B) {
	benchSignature(b, NewScheduledTaskMod(), openEvent("/etc/cron.d/x", wrOnly), openEvent("/etc/hosts", wrOnly))
}

func BenchmarkSignature_sudoers_modification(b *testing.B) {
	benchSignature(b, NewSudoersModification(), openEvent("/etc/sudoers", wrOnly), openEvent("/etc/hosts", wrOnly))
}

func BenchmarkSignature_sched_debug_recon(b *testing.B) {
	benchSignature(b, NewSchedDebugRecon(), openEvent("/proc/sched_debug", rdOnly), openEvent("/proc/stat", rdOnly))
}

func BenchmarkSignature_system_request_key_mod(b *testing.B) {
	benchSignature(b, NewSystemRequestKeyMod(), openEvent("/proc/sysrq-trigger", wrOnly), openEvent("/proc/sys/kernel/hostname", wrOnly))
}

func BenchmarkSignature_credential_file_read(b *testing.B) {
	benchSignature(b, NewCredentialFileRead(), withProc(openEvent("/etc/shadow", rdOnly), "cat", 3),
		withProc(openEvent("/usr/share/zoneinfo/UTC", rdOnly), "cat", 3))
}

func BenchmarkSignature_ssh_authorized_keys_mod(b *testing.B) {
	benchSignature(b, NewSSHAuthorizedKeysMod(), openEvent("/root/.ssh/authorized_keys", wrOnly), openEvent("/tmp/out.txt", wrOnly))
}

func BenchmarkSignature_pam_modification(b *testing.B) {
	benchSignature(b, NewPamModification(), openEvent("/etc/pam.d/sshd", wrOnly), openEvent("/usr/lib/x86_64-linux-gnu/libz.so", wrOnly))
}

func BenchmarkSignature_systemd_unit_mod(b *testing.B) {
	benchSignature(b, NewSystemdUnitMod(), openEvent("/etc/systemd/system/x.service", wrOnly), openEvent("/tmp/build/x.conf", wrOnly))
}

func BenchmarkSignature_log_tampering(b *testing.B) {
	benchSignature(b, NewLogTampering(), openEvent("/var/log/auth.log", wrTrnc), openEvent("/tmp/out.log", wrTrnc))
}
