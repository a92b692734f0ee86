package pluginfs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs/testplugins"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Three plugin modules outside the repository, built once by Build against this test binary: a
// Tracee v0.24-style one importing only github.com/aquasecurity/tracee/types, one importing this
// module's own path, and one declaring kernel prefilter interests (types/prefilter, in its own
// directory); the last two built in a go.work with the repository's source.
var outOfTree struct {
	once            sync.Once
	dir, skip       string
	v024Dir, ownDir string
	v024Rep, ownRep *BuildReport
	interestDir     string // holds interest.so alone
	err             error
}

func outOfTreePlugins(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds plugins; skipped with -short")
	}
	outOfTree.once.Do(buildOutOfTree)
	if outOfTree.skip != "" {
		t.Skip(outOfTree.skip)
	}
	require.NoError(t, outOfTree.err)
	return filepath.Join(outOfTree.dir, "sigs")
}

func buildOutOfTree() {
	if !cgoPlugins {
		outOfTree.skip = "this test binary cannot open plugins (built without cgo)"
		return
	}
	if outOfTree.skip = goToolProblem(); outOfTree.skip != "" {
		return
	}
	repo, err := filepath.Abs("../../..")
	if err != nil {
		outOfTree.err = err
		return
	}
	if outOfTree.dir, outOfTree.err = os.MkdirTemp("", "pluginfs-outoftree-"); outOfTree.err != nil {
		return
	}
	o := &outOfTree
	o.v024Dir, o.ownDir = filepath.Join(o.dir, "v024sig"), filepath.Join(o.dir, "ownpath")
	if o.err = testplugins.WriteV024Module(o.v024Dir); o.err != nil {
		return
	}
	if o.err = testplugins.WriteOwnPathModule(o.ownDir, repo); o.err != nil {
		return
	}
	ctx := context.Background()
	host, err := testBinaryHost(repo)
	if err != nil {
		o.err = err
		return
	}
	sigs := filepath.Join(o.dir, "sigs")
	if o.v024Rep, o.err = Build(ctx, BuildConfig{Dir: o.v024Dir, Host: host, Output: filepath.Join(sigs, "v024.so")}); o.err != nil {
		return
	}
	if o.ownRep, o.err = Build(ctx, BuildConfig{Dir: o.ownDir, Host: host, Source: repo, Output: filepath.Join(sigs, "own.so")}); o.err != nil {
		return
	}
	interestMod := filepath.Join(o.dir, "interest")
	if o.err = testplugins.WriteInterestModule(interestMod, repo, modules(host)["github.com/aquasecurity/tracee/types"].Version); o.err != nil {
		return
	}
	o.interestDir = filepath.Join(o.dir, "interest-sigs")
	_, o.err = Build(ctx, BuildConfig{Dir: interestMod, Host: host, Source: repo, Output: filepath.Join(o.interestDir, "interest.so")})
}

// testBinaryHost is this test binary's build info with the module versions it was built with:
// a test binary records none, a tracee binary records every module it links.
func testBinaryHost(repo string) (*debug.BuildInfo, error) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil, errors.New("no build info")
	}
	host := *bi
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Path}} {{.Version}}", "all")
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -m all: %w", err)
	}
	host.Deps = nil
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			host.Deps = append(host.Deps, &debug.Module{Path: f[0], Version: f[1]})
		}
	}
	return &host, nil
}

func TestBuild_out_of_tree_plugins_load_and_fire_through_the_engine(t *testing.T) {
	sigsDir := outOfTreePlugins(t)

	t.Run("the build matches this binary and leaves the user's go.mod alone", func(t *testing.T) {
		rep := outOfTree.v024Rep
		assert.Equal(t, runtime.Version(), rep.GoVersion)
		assert.Contains(t, rep.Flags, "-buildmode=plugin")
		assert.Contains(t, rep.Env, "CGO_ENABLED=1")
		assert.Contains(t, rep.Pinned, "github.com/aquasecurity/tracee/types@v0.0.0-20251205142631-7dc44bdb801c (plugin had "+testplugins.OldTypesVersion+")")
		assert.Empty(t, rep.Problems)
		goMod, err := os.ReadFile(filepath.Join(outOfTree.v024Dir, "go.mod"))
		require.NoError(t, err)
		assert.Contains(t, string(goMod), testplugins.OldTypesVersion)
		assert.Contains(t, outOfTree.ownRep.Workspace, "go.work using "+outOfTree.ownDir)
	})

	res := New(Config{AllowNonRootWritable: true}, nil).Load(context.Background(), []string{sigsDir})
	require.Empty(t, res.Problems)
	assert.ElementsMatch(t, []string{"OOT-1", "OOT-2", "OOT-3", "OWN-1"}, ids(res.Signatures))
	require.Len(t, res.DataSources, 1)
	assert.Equal(t, filepath.Join(sigsDir, "v024.so"), res.DataSources[0].Origin)

	var findings []trace.Event
	cat := domain.NewCatalog(domain.SignatureEvents(res.Signatures), domain.BaseEvents())
	engine, problems := domain.NewEngine(domain.EngineConfig{DataSources: res.DataSources}, res.Signatures, cat,
		func(ev *trace.Event) { findings = append(findings, *ev) }, nil)
	require.Empty(t, problems)
	data := func(name string) map[string]interface{} {
		out := map[string]interface{}{}
		for _, f := range findings {
			if f.EventName == name {
				for _, a := range f.Args {
					out[a.Name] = a.Value
				}
			}
		}
		return out
	}
	str := func(name, v string) trace.Argument {
		return trace.Argument{ArgMeta: trace.ArgMeta{Name: name, Type: "string"}, Value: v}
	}
	t0 := time.Unix(1_700_000_000, 0)
	proc := func(name string, entity, parent uint32, pid int, at time.Time, args ...trace.Argument) *trace.Event {
		return &trace.Event{EventName: name, Timestamp: int(at.UnixNano()), ThreadStartTime: int(t0.UnixNano()),
			HostProcessID: pid, HostThreadID: pid, ProcessID: pid, ThreadID: pid,
			ThreadEntityId: entity, ProcessEntityId: entity, ParentEntityId: parent, Args: args, ArgsNum: len(args)}
	}

	t.Run("v0.24 argument getters", func(t *testing.T) {
		engine.Dispatch(proc("security_file_open", 7, 1, 7, t0, str("pathname", "/etc/shadow")))
		assert.Equal(t, "/etc/shadow", data("oot_shadow_read")["path"])
	})
	t.Run("process tree: the parent of a fork and exec", func(t *testing.T) {
		argv := trace.Argument{ArgMeta: trace.ArgMeta{Name: "argv", Type: "[]string"}, Value: []string{"bash", "-i"}}
		engine.Dispatch(proc("sched_process_exec", 100, 1, 10, t0, str("pathname", "/usr/bin/bash"), argv))
		engine.Dispatch(proc("sched_process_fork", 100, 1, 10, t0.Add(time.Second)))
		engine.Dispatch(proc("sched_process_exec", 200, 100, 11, t0.Add(2*time.Second), str("pathname", "/usr/bin/curl")))
		got := data("oot_exec_from_shell")
		assert.Equal(t, "/usr/bin/bash", got["parent_path"])
		assert.Equal(t, "bash -i", got["parent_cmd"])
	})
	t.Run("an exported data source serves its own plugin and another one", func(t *testing.T) {
		ev := proc("openat", 200, 100, 11, t0.Add(3*time.Second), str("pathname", "/etc/hosts"))
		ev.Container.ID = "c0ffee"
		engine.Dispatch(ev)
		assert.Equal(t, "team-a", data("oot_owned_container")["owner"])
		assert.Equal(t, "team-a", data("own_inventory_open")["owner"])
	})
	t.Run("without the exporting plugin, the user is told at Init", func(t *testing.T) {
		_, problems := domain.NewEngine(domain.EngineConfig{}, res.Signatures, cat, nil, nil)
		require.Len(t, problems, 2)
		for _, p := range problems {
			assert.Contains(t, p.Cause, "Init: data source acme/inventory is not registered")
			assert.Contains(t, p.Fix, "acme/inventory, which nothing provides")
		}
	})
}

func TestBuild_refuses_what_cannot_work(t *testing.T) {
	if _, err := os.Stat("/nonexistent"); err == nil {
		t.Skip("odd machine")
	}
	host, ok := debug.ReadBuildInfo()
	if !ok || goToolProblem() != "" {
		t.Skip("needs build info and the go command of this test binary")
	}
	repo, _ := filepath.Abs("../../..")
	own := t.TempDir()
	require.NoError(t, testplugins.WriteOwnPathModule(own, repo))
	other := *host
	other.GoVersion = "go1.20.1"
	tests := []struct {
		name string
		cfg  BuildConfig
		want []string
	}{
		{"another Go version names both", BuildConfig{Dir: own, Host: &other},
			[]string{"the go command is " + runtime.Version() + " but this tracee was built with go1.20.1", "GOTOOLCHAIN=go1.20.1"}},
		{"own module path without --source", BuildConfig{Dir: own},
			[]string{"the plugin requires " + host.Main.Path + " (this tracee's own module)", "add --source DIR", "github.com/aquasecurity/tracee/types"}},
		{"no go.mod", BuildConfig{Dir: t.TempDir()}, []string{"has no go.mod", "go mod init"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(context.Background(), tt.cfg)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}
