package domain_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/datasource"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// dsSignature is a signature whose Init and OnEvent use data sources, as Tracee's do.
type dsSignature struct {
	fakeSignature
	init func(ctx detect.SignatureContext) error
}

func (s *dsSignature) Init(ctx detect.SignatureContext) error {
	s.cb = ctx.Callback
	return s.init(ctx)
}

func dsLoaded(s *dsSignature, origin string) domain.LoadedSignature {
	return domain.LoadedSignature{Signature: s, Info: domain.SignatureInfo{Metadata: s.meta, Selectors: s.selectors, Origin: origin}}
}

func procEvent(name string, entity, parent uint32, pid, ppid int, ts time.Time, args ...trace.Argument) trace.Event {
	return trace.Event{EventName: name, Timestamp: int(ts.UnixNano()), ThreadStartTime: int(ts.UnixNano()),
		HostProcessID: pid, HostThreadID: pid, ProcessID: pid, ThreadID: pid, HostParentProcessID: ppid,
		ThreadEntityId: entity, ProcessEntityId: entity, ParentEntityId: parent, ProcessName: fmt.Sprint("p", pid),
		Args: args, ArgsNum: len(args)}
}

func strArg(name, v string) trace.Argument {
	return trace.Argument{ArgMeta: trace.ArgMeta{Name: name, Type: "string"}, Value: v}
}

func TestEngine_process_tree_serves_the_parent_of_a_fork_and_exec(t *testing.T) {
	var tree *datasource.ProcessTreeDS
	var parent *datasource.TimeRelevantInfo[datasource.ProcessInfo]
	var lineage *datasource.ProcessLineage
	sig := &dsSignature{fakeSignature: *newSig("TRC-T1", "child_of_shell", sel("sched_process_exec", "*"))}
	sig.init = func(ctx detect.SignatureContext) (err error) {
		tree, err = datasource.GetProcessTreeDataSource(ctx)
		return err
	}
	sig.onEvent = func(cb detect.SignatureHandler, pe protocol.Event) error {
		ev := pe.Payload.(trace.Event)
		if ev.HostProcessID != 11 {
			return nil
		}
		var err error
		if parent, err = tree.GetProcessInfo(datasource.ProcKey{EntityId: ev.ParentEntityId, Time: time.Unix(0, int64(ev.Timestamp))}); err != nil {
			return err
		}
		lineage, err = tree.GetEventProcessLineage(&ev, 5)
		return err
	}
	e := newEngine(t, []domain.LoadedSignature{dsLoaded(sig, "test/ds.so")}, nil)

	t0 := time.Unix(1_700_000_000, 0)
	argv := trace.Argument{ArgMeta: trace.ArgMeta{Name: "argv", Type: "[]string"}, Value: []string{"bash", "-c", "curl x"}}
	for _, ev := range []trace.Event{
		procEvent("sched_process_exec", 100, 1, 10, 1, t0, strArg("pathname", "/usr/bin/bash"), argv),
		procEvent("sched_process_fork", 100, 1, 10, 1, t0.Add(time.Second),
			trace.Argument{ArgMeta: trace.ArgMeta{Name: "child_pid", Type: "int32"}, Value: int32(11)}),
		procEvent("sched_process_exec", 200, 100, 11, 10, t0.Add(2*time.Second), strArg("pathname", "/usr/bin/curl")),
	} {
		e.Dispatch(&ev)
	}

	require.NotNil(t, parent, "the signature got no parent")
	assert.Equal(t, uint32(100), parent.Info.EntityId)
	assert.Equal(t, 10, parent.Info.Pid)
	assert.Equal(t, "/usr/bin/bash", parent.Info.ExecutionBinary.Path)
	assert.Equal(t, []string{"bash", "-c", "curl x"}, parent.Info.Cmd)
	assert.Equal(t, t0, parent.Info.ExecTime)
	assert.True(t, parent.Info.IsAlive)
	assert.Equal(t, map[int]uint32{11: 200}, parent.Info.ChildProcessesIds)
	require.NotNil(t, lineage)
	require.Len(t, *lineage, 2, "the child, then its parent (pid 1 was never seen)")
	assert.Equal(t, "/usr/bin/curl", (*lineage)[0].Info.ExecutionBinary.Path)
	assert.Equal(t, "/usr/bin/bash", (*lineage)[1].Info.ExecutionBinary.Path)

	exit := procEvent("sched_process_exit", 100, 1, 10, 1, t0.Add(3*time.Second))
	e.Dispatch(&exit)
	after, err := tree.GetProcessInfo(datasource.ProcKey{EntityId: 100, Time: t0.Add(4 * time.Second)})
	require.NoError(t, err)
	assert.False(t, after.Info.IsAlive)
	before, err := tree.GetProcessInfo(datasource.ProcKey{EntityId: 100, Time: t0.Add(2 * time.Second)})
	require.NoError(t, err)
	assert.True(t, before.Info.IsAlive, "alive at a time before its exit")
	_, err = tree.GetProcessInfo(datasource.ProcKey{EntityId: 999})
	assert.Error(t, err)
}

func TestEngine_unknown_data_source_is_a_load_problem_at_Init(t *testing.T) {
	sig := &dsSignature{fakeSignature: *newSig("TRC-T2", "wants_acme", sel("openat", "*"))}
	sig.init = func(ctx detect.SignatureContext) error {
		if _, ok := ctx.GetDataSource("acme", "inventory"); !ok {
			return errors.New("data source acme/inventory is not registered")
		}
		return nil
	}
	sigs := []domain.LoadedSignature{dsLoaded(sig, "/sigs/acme.so")}
	_, problems := domain.NewEngine(domain.EngineConfig{}, sigs, domain.NewCatalog(domain.SignatureEvents(sigs)), nil, nil)
	require.Len(t, problems, 1)
	assert.Equal(t, "/sigs/acme.so", problems[0].Path)
	assert.Contains(t, problems[0].Cause, "signature TRC-T2: Init: data source acme/inventory is not registered")
	assert.Contains(t, problems[0].Fix, "acme/inventory, which nothing provides")
	assert.Contains(t, problems[0].Fix, "tracee/containers, tracee/process_tree")
}

// inventory is a plugin-style data source.
type inventory struct{ id string }

func (d inventory) Get(k interface{}) (map[string]interface{}, error) {
	if k == "web" {
		return map[string]interface{}{"owner": "team-a"}, nil
	}
	return nil, detect.ErrDataNotFound
}
func (d inventory) Version() uint     { return 1 }
func (d inventory) Keys() []string    { return []string{"string"} }
func (d inventory) Schema() string    { return `{"owner":"string"}` }
func (d inventory) Namespace() string { return "acme" }
func (d inventory) ID() string        { return d.id }

func TestEngine_serves_exported_data_sources_and_refuses_duplicates(t *testing.T) {
	var got map[string]interface{}
	sig := &dsSignature{fakeSignature: *newSig("TRC-T3", "uses_acme", sel("openat", "*"))}
	sig.init = func(ctx detect.SignatureContext) error {
		ds, ok := ctx.GetDataSource("acme", "inventory")
		if !ok {
			return errors.New("no acme/inventory")
		}
		var err error
		got, err = ds.Get("web")
		return err
	}
	sigs := []domain.LoadedSignature{dsLoaded(sig, "/sigs/user.so")}
	cfg := domain.EngineConfig{DataSources: []domain.LoadedDataSource{
		{Source: inventory{id: "inventory"}, Origin: "/sigs/a.so"},
		{Source: inventory{id: "inventory"}, Origin: "/sigs/b.so"},
		{Source: domain.NewProcessTree(0), Origin: "/sigs/c.so"},
	}}
	_, problems := domain.NewEngine(cfg, sigs, domain.NewCatalog(domain.SignatureEvents(sigs)), nil, nil)
	assert.Equal(t, map[string]interface{}{"owner": "team-a"}, got)
	require.Len(t, problems, 2)
	assert.Equal(t, "/sigs/b.so", problems[0].Path)
	assert.Contains(t, problems[0].Cause, "data source acme/inventory is already provided by /sigs/a.so")
	assert.Equal(t, "/sigs/c.so", problems[1].Path)
	assert.Contains(t, problems[1].Cause, "data source tracee/process_tree is already provided by builtin")

	kept, dups := domain.DedupeDataSources(cfg.DataSources[:2])
	assert.Len(t, kept, 1)
	require.Len(t, dups, 1)
	assert.Contains(t, dups[0].String(), "/sigs/b.so: data source acme/inventory is already provided by /sigs/a.so")
}

func TestContainers_serves_what_events_carry(t *testing.T) {
	c := domain.NewContainers(2)
	ev := trace.Event{EventName: "openat", Container: trace.Container{ID: "c1", Name: "web", ImageName: "nginx:1"},
		Kubernetes: trace.Kubernetes{PodName: "web-0", PodNamespace: "prod", PodUID: "uid-1"}}
	c.Observe(&ev)
	create := trace.Event{EventName: "container_create", Args: []trace.Argument{
		strArg("container_id", "c1"), {ArgMeta: trace.ArgMeta{Name: "ctime", Type: "uint64"}, Value: uint64(42)}}}
	c.Observe(&create)
	got, err := c.Get("c1")
	require.NoError(t, err)
	assert.Equal(t, map[string]interface{}{"container_id": "c1", "container_ctime": 42, "container_name": "web",
		"container_image": "nginx:1", "k8s_pod_id": "uid-1", "k8s_pod_name": "web-0", "k8s_pod_namespace": "prod",
		"k8s_pod_sandbox": false}, got)
	_, err = c.Get(7)
	assert.ErrorIs(t, err, detect.ErrKeyNotSupported)

	for _, id := range []string{"c2", "c3"} { // the cap is 2: c1 is forgotten
		c.Observe(&trace.Event{Container: trace.Container{ID: id}})
	}
	_, err = c.Get("c1")
	assert.ErrorIs(t, err, detect.ErrDataNotFound)
}

func TestProcessTree_is_bounded(t *testing.T) {
	tree := domain.NewProcessTree(3)
	for i := 1; i <= 10; i++ {
		ev := procEvent("openat", uint32(i), 0, i, 1, time.Unix(int64(i), 0))
		tree.Observe(&ev)
	}
	assert.Equal(t, 3, tree.Len())
	_, err := tree.Get(datasource.ProcKey{EntityId: 1})
	assert.ErrorIs(t, err, detect.ErrDataNotFound)
	_, err = tree.Get(datasource.ProcKey{EntityId: 10})
	assert.NoError(t, err)
}
