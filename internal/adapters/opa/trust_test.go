package opa

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sigSource = `package signatures.t

__rego_metadoc__ := {"id": "T-1", "version": "1", "name": "t", "eventName": "t_sig"}

tracee_selected_events contains {"source": "tracee", "name": "ptrace"}

tracee_match if {
	input.eventName == "ptrace"
	%s
}
`

func regoSig(body string) string { return strings.Replace(sigSource, "%s", body, 1) }

// hostileDir is what a careless or hostile setup leaves: a 0777 directory and a 0666 file owned
// by nobody.
func hostileDir(t *testing.T, name, src string) (dir, path string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "sigs")
	require.NoError(t, os.Mkdir(dir, 0o777))
	require.NoError(t, os.Chmod(dir, 0o777))
	path = filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(src), 0o666))
	require.NoError(t, os.Chmod(path, 0o666))
	if os.Geteuid() == 0 {
		require.NoError(t, os.Chown(path, 65534, 65534))
	}
	return dir, path
}

func TestSignatureLoader_refuses_rego_anyone_could_have_written(t *testing.T) {
	dir, path := hostileDir(t, "sig.rego", regoSig(`true`))
	res := NewSignatureLoader(nil).Load(context.Background(), []string{dir})
	assert.Empty(t, res.Signatures)
	require.Len(t, res.Problems, 1)
	assert.Equal(t, path, res.Problems[0].Path)
	if os.Geteuid() == 0 {
		assert.Contains(t, res.Problems[0].Cause, "not root")
	}
	assert.Contains(t, res.Problems[0].Fix, "--allow-unsafe-plugins")

	res = NewSignatureLoaderWith(SignatureConfig{AllowUnsafe: true}, nil).Load(context.Background(), []string{dir})
	assert.Len(t, res.Signatures, 1, "the override loads it")
	require.Len(t, res.Warnings, 1, "loudly")
	assert.Contains(t, res.Warnings[0], path)
	assert.Contains(t, res.Warnings[0], "loaded anyway (--allow-unsafe-plugins)")
}

func TestSignatureLoader_refuses_a_rego_file_in_a_world_writable_directory(t *testing.T) {
	dir, path := hostileDir(t, "sig.rego", regoSig(`true`))
	require.NoError(t, os.Chown(path, os.Geteuid(), os.Getegid()))
	require.NoError(t, os.Chmod(path, 0o644))
	res := NewSignatureLoader(nil).Load(context.Background(), []string{dir})
	assert.Empty(t, res.Signatures)
	require.Len(t, res.Problems, 1)
	assert.Contains(t, res.Problems[0].Cause, "directory "+dir+" above it is writable by its group and others")
}

func TestFindingEvaluator_refuses_an_untrusted_policy(t *testing.T) {
	dir, path := hostileDir(t, "silence.rego", "package tracee.findings\n\nsuppress contains \"all\" if true\n")
	_, err := NewFindingEvaluator(FindingConfig{Paths: []string{dir}}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "--allow-unsafe-plugins")

	var logs bytes.Buffer
	e, err := NewFindingEvaluator(FindingConfig{Paths: []string{dir}, AllowUnsafe: true}, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	assert.Equal(t, []string{path}, e.Files())
	assert.Contains(t, logs.String(), "loaded anyway (--allow-unsafe-plugins)")
}

func TestRego_non_deterministic_builtins_are_refused_at_load(t *testing.T) {
	var hits atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) })}
	go srv.Serve(ln) //nolint:errcheck // closed below
	defer srv.Close()
	url := "http://" + ln.Addr().String()

	tests := []struct {
		name, body, builtin string
	}{
		{"http.send", `http.send({"method": "get", "url": "` + url + `"}).status_code == 200`, "http.send"},
		{"http.send in an assignment", `r := http.send({"method": "get", "url": "` + url + `"})
	r.status_code == 200`, "http.send"},
		{"net.lookup_ip_addr", `count(net.lookup_ip_addr("localhost")) > 0`, "net.lookup_ip_addr"},
		{"time.now_ns", `time.now_ns() > 0`, "time.now_ns"},
		{"opa.runtime", `opa.runtime().env.HOME != ""`, "opa.runtime"},
		{"rand.intn", `rand.intn("x", 10) < 5`, "rand.intn"},
		{"uuid.rfc4122", `uuid.rfc4122("x") != ""`, "uuid.rfc4122"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "sig.rego")
			require.NoError(t, os.WriteFile(path, []byte(regoSig(tt.body)), 0o644))
			res := NewSignatureLoader(nil).Load(context.Background(), []string{dir})
			assert.Empty(t, res.Signatures)
			require.Len(t, res.Problems, 1)
			assert.Contains(t, res.Problems[0].Cause, "calls "+tt.builtin+", which tracee refuses")
			assert.Regexp(t, `^line \d+, column \d+: `, res.Problems[0].Cause)
		})
	}
	assert.Zero(t, hits.Load(), "nothing reached the listener")
}

func TestRego_pure_builtins_stay(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sig.rego"), []byte(regoSig(`net.cidr_contains("10.0.0.0/8", "10.1.2.3")`)), 0o644))
	res := NewSignatureLoader(nil).Load(context.Background(), []string{dir})
	assert.Empty(t, res.Problems)
	assert.Len(t, res.Signatures, 1)
}

func TestFindingEvaluator_refuses_http_send(t *testing.T) {
	dir := t.TempDir()
	src := "package tracee.findings\n\nsuppress contains \"x\" if http.send({\"method\": \"get\", \"url\": \"http://127.0.0.1:1\"}).status_code == 200\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p.rego"), []byte(src), 0o644))
	_, err := NewFindingEvaluator(FindingConfig{Paths: []string{dir}}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "calls http.send, which tracee refuses")
}

func TestCapabilities_allow_no_network_and_no_refused_builtin(t *testing.T) {
	caps, refused := capabilities()
	require.NotNil(t, caps.AllowNet)
	assert.Empty(t, caps.AllowNet)
	for _, b := range caps.Builtins {
		assert.False(t, refused[b.Name], b.Name)
	}
	for _, name := range []string{"http.send", "net.lookup_ip_addr", "time.now_ns", "opa.runtime", "rand.intn"} {
		assert.True(t, refused[name], name)
	}
}
