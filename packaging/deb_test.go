package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The .deb (TRACEE_DEB, built by make deb / scripts/test.d/40-packaging.sh) installs, its unit
// verifies, its postinst starts nothing without systemd, the installed unit's ExecStart runs and
// reports a live finding, and it removes and purges cleanly.
func TestDeb_installs_runs_and_removes_cleanly(t *testing.T) {
	needRoot(t)
	deb := os.Getenv("TRACEE_DEB")
	if deb == "" {
		t.Skip("TRACEE_DEB not set (scripts/test.d/40-packaging.sh builds the package)")
	}
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("needs dpkg")
	}
	if out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", "tracee").Output(); err == nil && strings.Contains(string(out), "installed") {
		t.Skip("a tracee package is already installed on this machine: not touching it")
	}
	t.Cleanup(func() { _, _ = dpkg(t, "--purge", "tracee") })

	out := mustDpkg(t, "-i", deb)
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		assert.Contains(t, out, "systemd is not running", "postinst says why it starts nothing")
		assert.NoFileExists(t, "/etc/systemd/system/multi-user.target.wants/tracee.service")
	}
	for _, f := range []string{"/usr/bin/tracee", "/usr/lib/tracee/signatures/builtin.so", "/lib/systemd/system/tracee.service",
		"/etc/default/tracee", "/usr/share/man/man1/tracee.1.gz", "/usr/share/bash-completion/completions/tracee"} {
		assert.FileExists(t, f)
	}
	unit := "/lib/systemd/system/tracee.service"
	verifyUnit(t, unit)

	res := filepath.Join(t.TempDir(), "findings.json")
	// --alerts-db none: the test leaves no alert store behind on the machine
	findings := runUnitExecStart(t, unit, "--output", "json:"+res, "--alerts-db", "none")
	assert.Contains(t, findings, `"anti_debugging"`)

	mustDpkg(t, "-r", "tracee")
	assert.NoFileExists(t, "/usr/bin/tracee")
	assert.NoFileExists(t, unit)
	assert.FileExists(t, "/etc/default/tracee", "remove keeps the conffile")
	mustDpkg(t, "--purge", "tracee")
	assert.NoFileExists(t, "/etc/default/tracee")
	st, _ := exec.Command("dpkg-query", "-W", "-f=${Status}", "tracee").CombinedOutput()
	require.NotContains(t, string(st), "install ok installed")
}

// dpkg runs dpkg, waiting while another apt or dpkg holds its lock (other work shares the machine).
func dpkg(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out []byte
	var err error
	for i := 0; i < 120; i++ {
		out, err = exec.Command("dpkg", args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "lock") {
			break
		}
		time.Sleep(time.Second)
	}
	return string(out), err
}

func mustDpkg(t *testing.T, args ...string) string {
	t.Helper()
	out, err := dpkg(t, args...)
	require.NoError(t, err, "dpkg %s: %s", strings.Join(args, " "), out)
	return out
}
