package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
		{event: "dropped_executable", skip: "needs magic_write events, which the live source does not produce yet"},
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
		{event: "log_tampering", act: func(t *testing.T, e *liveEnv) int {
			return privateSh(t, "mount -t tmpfs e2e /var/log && echo line >> /var/log/auth.log && : > /var/log/auth.log && rm /var/log/auth.log")
		}, want: map[string]interface{}{"pathname": "/var/log/auth.log"}},
	}
}

// TestLive_each_signature_detects_a_real_attack performs every attack once with all signatures on.
func TestLive_each_signature_detects_a_real_attack(t *testing.T) {
	a := startAgent(t)
	env := newLiveEnv(t, a)
	for _, tc := range liveCases() {
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
