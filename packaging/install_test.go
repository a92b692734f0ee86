// Package packaging holds the tests of what ships the agent: `make install`, the .deb, the
// container image and the Kubernetes manifests. They run the built files (make build) and skip
// with a reason when the machine lacks what they need (root, dpkg, systemd-analyze, containerd).
package packaging

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const repo = ".."

func needBuilt(t *testing.T) {
	t.Helper()
	for _, f := range []string{"dist/tracee", "dist/signatures/builtin.so"} {
		if _, err := os.Stat(filepath.Join(repo, f)); err != nil {
			t.Skipf("%s not built (make build)", f)
		}
	}
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %s: %s", name, strings.Join(args, " "), out)
	return string(out)
}

// verifyUnit runs systemd-analyze verify on a unit file and fails on anything it says about it.
func verifyUnit(t *testing.T, unit string, env ...string) {
	t.Helper()
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("needs systemd-analyze (apt-get install systemd)")
	}
	cmd := exec.Command("systemd-analyze", "verify", unit)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	assert.NoError(t, err, "systemd-analyze verify %s: %s", unit, out)
	assert.Empty(t, strings.TrimSpace(string(out)), "systemd-analyze verify %s", unit)
}

// unitValue reads the value of KEY= from a unit file (the last one wins, as in systemd).
func unitValue(t *testing.T, unit, key string) string {
	t.Helper()
	f, err := os.Open(unit)
	require.NoError(t, err)
	defer f.Close()
	var v string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), key+"="); ok {
			v = rest
		}
	}
	require.NotEmpty(t, v, "%s has no %s=", unit, key)
	return v
}

func TestInstall_PREFIX_lays_out_every_file_and_a_unit_that_verifies(t *testing.T) {
	needBuilt(t)
	prefix := filepath.Join(t.TempDir(), "pfx")
	run(t, []string{"PREFIX=" + prefix}, "bash", "scripts/install.sh")
	for _, f := range []string{"bin/tracee", "lib/tracee/signatures/builtin.so", "share/man/man1/tracee.1.gz",
		"share/man/man1/tracee-alerts-search.1.gz", "share/bash-completion/completions/tracee",
		"share/zsh/vendor-completions/_tracee", "share/fish/vendor_completions.d/tracee.fish",
		"lib/systemd/system/tracee.service", "etc/default/tracee"} {
		assert.FileExists(t, filepath.Join(prefix, f))
	}
	unit := filepath.Join(prefix, "lib/systemd/system/tracee.service")
	assert.True(t, strings.HasPrefix(unitValue(t, unit, "ExecStart"), prefix+"/bin/tracee --signatures-dir "+prefix+"/lib/tracee/signatures"))
	assert.Equal(t, "/bin/kill -HUP $MAINPID", unitValue(t, unit, "ExecReload"))
	assert.Equal(t, "strict", unitValue(t, unit, "ProtectSystem"))
	assert.Equal(t, "on-failure", unitValue(t, unit, "Restart"))
	assert.Equal(t, "-10", unitValue(t, unit, "Nice"))
	assert.Equal(t, "CAP_BPF CAP_PERFMON CAP_SYS_RESOURCE CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_DAC_READ_SEARCH",
		unitValue(t, unit, "CapabilityBoundingSet"))
	verifyUnit(t, unit, "MANPATH="+prefix+"/share/man")

	// a second install keeps an edited options file
	conf := filepath.Join(prefix, "etc/default/tracee")
	require.NoError(t, os.WriteFile(conf, []byte("TRACEE_OPTS=\"--log-level debug\"\n"), 0o644))
	run(t, []string{"PREFIX=" + prefix}, "bash", "scripts/install.sh")
	b, _ := os.ReadFile(conf)
	assert.Contains(t, string(b), "--log-level debug")
	assert.FileExists(t, conf+".new")
}

// runUnitExecStart runs a unit's ExecStart as systemd would (its EnvironmentFile's variables
// expanded by the shell, which splits $VAR the same way) plus extra flags, while a child calls
// ptrace(PTRACE_TRACEME), until the JSON output holds TRC-102 (anti_debugging).
func runUnitExecStart(t *testing.T, unit string, extra ...string) string {
	t.Helper()
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("needs BTF (/sys/kernel/btf/vmlinux)")
	}
	if _, err := exec.LookPath("perl"); err != nil {
		t.Skip("needs perl (the PTRACE_TRACEME trigger)")
	}
	execStart := strings.TrimLeft(unitValue(t, unit, "ExecStart"), "-@+!:")
	envFile := strings.TrimPrefix(unitValue(t, unit, "EnvironmentFile"), "-")
	// ExecStartPre's job, done here because no systemd runs it
	_ = exec.Command("sh", "-c", "mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing").Run()
	script := "set -a; [ -r '" + envFile + "' ] && . '" + envFile + "'; set +a; exec " + execStart + " " + strings.Join(extra, " ")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	agent := exec.CommandContext(ctx, "bash", "-c", script)
	logf, err := os.Create(filepath.Join(t.TempDir(), "agent.log"))
	require.NoError(t, err)
	agent.Stdout, agent.Stderr = logf, logf
	require.NoError(t, agent.Start())
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = agent.Process.Signal(os.Interrupt)
			_ = agent.Wait()
		}
	}
	defer stop()
	out := extraOutput(extra)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		_ = exec.Command("perl", "-e", "syscall(101,0,0,0,0)").Run() // PTRACE_TRACEME
		if b, _ := os.ReadFile(out); strings.Contains(string(b), `"TRC-102"`) {
			stop()
			b, _ = os.ReadFile(out)
			return string(b)
		}
		time.Sleep(300 * time.Millisecond)
	}
	stop()
	log, _ := os.ReadFile(logf.Name())
	t.Fatalf("no TRC-102 finding in %s within 90s; agent log:\n%s", out, log)
	return ""
}

// extraOutput finds the json:FILE of the extra flags.
func extraOutput(extra []string) string {
	for i, a := range extra {
		if a == "--output" && i+1 < len(extra) {
			if f, ok := strings.CutPrefix(extra[i+1], "json:"); ok {
				return f
			}
		}
	}
	return ""
}
