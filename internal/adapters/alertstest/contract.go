// Package alertstest is the contract every ports.AlertSearcher must honour: one suite, run by each
// store's tests against a real instance, so that the embedded store and Elasticsearch answer the
// same queries the same way.
package alertstest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Store is a searcher under test that can also record alerts.
type Store interface {
	ports.AlertSearcher
	// Add records signature events and returns once they are searchable.
	Add(t *testing.T, events []*trace.Event)
}

// NewStore returns a new, empty store; the suite calls it once per group of tests.
type NewStore func(t *testing.T) Store

// Rule is one signature of the generated data.
type Rule struct {
	ID, Name, Event, Description string
	Severity                     int
	TechniqueID, Technique       string
}

// Rules of the generated alerts. Words of the descriptions are what the text tests search.
var Rules = []Rule{
	{"TRC-102", "Anti-Debugging detected", "anti_debugging", "A process used ptrace to detach from its debugger", 3, "T1622", "Debugger Evasion"},
	{"TRC-105", "Fileless execution", "fileless_execution", "Binary executed straight from memory", 3, "T1620", "Reflective Code Loading"},
	{"TRC-107", "LD_PRELOAD code injection", "ld_preload", "The dynamic loader was told to preload a library", 2, "T1574", "Hijack Execution Flow"},
	{"TRC-1016", "Illegitimate shell", "illegitimate_shell", "A web server spawned an interactive shell", 2, "T1190", "Exploit Public-Facing Application"},
	{"TRC-1022", "New executable dropped", "dropped_executable", "An executable file was written to disk", 1, "", ""},
	{"TRC-1029", "Sched debug recon", "sched_debug_recon", "Reconnaissance of the scheduler debug file", 0, "T1082", "System Information Discovery"},
}

// Hosts, containers and processes of the generated alerts.
var (
	Hosts = []string{"web-1", "web-2", "db-1"}
	// Containers: ID, name, image and pod (NAMESPACE/NAME) as --enrichment container fills them.
	Containers = []struct{ ID, Name, Image, Pod string }{
		{"", "", "", ""}, {"4f2a9c0e1b3d4f2a9c0e1b3d", "nginx", "docker.io/library/nginx:1.27", "shop/web-1"},
		{"7d1e5b2a8c3f7d1e5b2a8c3f", "postgres", "postgres:16", "data/db-0"}, {"4f2a1111aaaa2222bbbb3333", "redis", "docker.io/library/redis:7", ""},
	}
	Processes = []string{"bash", "nginx", "python3", "curl", "postgres"}
)

// Base is the time of the first generated alert: two days ago, on a whole hour (UTC).
func Base() time.Time { return time.Now().UTC().Truncate(time.Hour).Add(-48 * time.Hour) }

// Events generates n signature events from start, one every step (a whole number of milliseconds:
// Elasticsearch keeps milliseconds), cycling through rules, hosts, containers and processes with
// different periods so that filters combine in many ways.
func Events(start time.Time, n int, step time.Duration) []*trace.Event {
	out := make([]*trace.Event, n)
	for i := range n {
		out[i] = EventAt(start, i, step)
	}
	return out
}

// EventAt is the i-th event of Events(start, n, step), for generating many without holding them all.
func EventAt(start time.Time, i int, step time.Duration) *trace.Event {
	r := Rules[(i+i/len(Rules))%len(Rules)]
	c := Containers[i%len(Containers)]
	ev := &trace.Event{
		Timestamp:     int(start.Add(time.Duration(i) * step).UnixNano()),
		ProcessID:     100 + i%50,
		HostProcessID: 1000 + i,
		HostThreadID:  1000 + i,
		ProcessName:   Processes[(i/3)%len(Processes)],
		HostName:      Hosts[i%len(Hosts)],
		ContainerID:   c.ID,
		Container:     trace.Container{ID: c.ID, Name: c.Name, ImageName: c.Image},
		EventID:       6000,
		EventName:     r.Event,
		Args: []trace.Argument{
			{ArgMeta: trace.ArgMeta{Name: "seq", Type: "int64"}, Value: int64(i)},
			{ArgMeta: trace.ArgMeta{Name: "detectedFrom", Type: "unknown"}, Value: map[string]interface{}{"id": 1, "name": "ptrace"}},
		},
		ContextFlags: trace.ContextFlags{ContainerStarted: c.ID != ""},
	}
	props := map[string]interface{}{
		"signatureID": r.ID, "signatureName": r.Name, "Severity": r.Severity, "Category": "defense-evasion",
	}
	if r.TechniqueID != "" {
		props["external_id"] = r.TechniqueID
		props["Technique"] = r.Technique
	}
	if ns, pod, ok := strings.Cut(c.Pod, "/"); ok {
		ev.Kubernetes = trace.Kubernetes{PodName: pod, PodNamespace: ns, PodUID: "uid-" + pod}
	}
	ev.ArgsNum = len(ev.Args)
	ev.Metadata = &trace.Metadata{Version: "1", Description: r.Description, Properties: props}
	return ev
}

// model answers queries over the generated events in memory: the expected results.
type model []domain.Alert

func newModel(evs []*trace.Event) model {
	m := make(model, len(evs))
	for i, ev := range evs {
		m[i] = domain.AlertFromEvent(ev)
	}
	return m
}

func (m model) match(q domain.AlertQuery) []domain.Alert {
	var out []domain.Alert
	for _, a := range m {
		if matches(a, q) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y domain.Alert) int {
		if q.Ascending {
			return x.Time.Compare(y.Time)
		}
		return y.Time.Compare(x.Time)
	})
	return out
}

func matches(a domain.Alert, q domain.AlertQuery) bool {
	in := func(vals []string, v ...string) bool {
		if len(vals) == 0 {
			return true
		}
		for _, x := range vals {
			if slices.Contains(v, x) {
				return true
			}
		}
		return false
	}
	switch {
	case !q.Since.IsZero() && a.Time.Before(q.Since),
		!q.Until.IsZero() && !a.Time.Before(q.Until),
		a.Severity < q.MinSeverity,
		!in(q.Rules, a.RuleID, a.RuleName, a.EventName),
		!in(q.Hosts, a.Host),
		!in(q.Processes, a.Process),
		len(q.Techniques) > 0 && (a.TechniqueID == "" || !in(q.Techniques, a.TechniqueID, a.Technique)):
		return false
	}
	if len(q.Containers) > 0 {
		ok := false
		for _, c := range q.Containers {
			if a.ContainerID != "" && (strings.HasPrefix(a.ContainerID, c) || a.Container == c) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	if len(q.Images) > 0 {
		name, tag := domain.SplitImage(a.Image)
		ok := false
		for _, img := range q.Images {
			n, tg := domain.SplitImage(img)
			ok = ok || (a.Image != "" && n == name && (tg == "" || tg == tag))
		}
		if !ok {
			return false
		}
	}
	if len(q.Pods) > 0 {
		ok := false
		for _, p := range q.Pods {
			ns, name := domain.SplitPod(p)
			ok = ok || (a.Pod != "" && name == a.Pod && (ns == "" || ns == a.PodNamespace))
		}
		if !ok {
			return false
		}
	}
	words := strings.Fields(strings.ToLower(a.Message + " " + a.Description))
	for _, w := range strings.Fields(strings.ToLower(q.Text)) {
		found := false
		for _, x := range words {
			x = strings.Trim(x, ".,")
			if x == w || (strings.HasSuffix(w, "*") && strings.HasPrefix(x, strings.TrimSuffix(w, "*"))) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func (m model) aggregate(q domain.AlertQuery, f domain.AlertField, size int) []domain.Bucket {
	counts := map[string]int64{}
	for _, a := range m.match(q) {
		if k := a.Key(f); k != "" {
			counts[k]++
		}
	}
	var out []domain.Bucket
	for k, n := range counts {
		out = append(out, domain.Bucket{Key: k, Count: n})
	}
	domain.SortBuckets(out)
	if len(out) > size {
		out = out[:size]
	}
	return out
}

func (m model) histogram(q domain.AlertQuery, iv time.Duration) []domain.TimeBucket {
	counts := map[time.Time]int64{}
	for _, a := range m.match(q) {
		counts[domain.BucketStart(a.Time, iv)]++
	}
	var out []domain.TimeBucket
	for t, n := range counts {
		out = append(out, domain.TimeBucket{Start: t, Count: n})
	}
	slices.SortFunc(out, func(x, y domain.TimeBucket) int { return x.Start.Compare(y.Start) })
	return out
}

// key identifies a generated alert across stores (store IDs differ): its time and PID are unique.
func key(a domain.Alert) string { return fmt.Sprintf("%d/%d", a.Time.UnixMilli(), a.PID) }

func keys(as []domain.Alert) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = key(a)
	}
	return out
}

// searchAll pages through every result with pages of size limit.
func searchAll(t *testing.T, s ports.AlertSearcher, q domain.AlertQuery, limit int) []domain.Alert {
	t.Helper()
	q.Limit = limit
	var all []domain.Alert
	for pages := 0; ; pages++ {
		require.Less(t, pages, 1000, "paging does not end")
		page, err := s.Search(context.Background(), q)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Alerts), limit)
		all = append(all, page.Alerts...)
		if page.Next == "" {
			return all
		}
		q.Cursor = page.Next
	}
}

// Run runs the contract against the stores newStore makes.
func Run(t *testing.T, newStore NewStore) {
	base := Base()
	evs := Events(base, 2000, 37*time.Second+123*time.Millisecond) // ~20.5 hours
	m := newModel(evs)
	s := newStore(t)
	s.Add(t, evs)
	ctx := context.Background()

	queries := []struct {
		name string
		q    domain.AlertQuery
	}{
		{"everything", domain.AlertQuery{}},
		{"since", domain.AlertQuery{Since: base.Add(10 * time.Hour)}},
		{"since and until", domain.AlertQuery{Since: base.Add(2 * time.Hour), Until: base.Add(3 * time.Hour)}},
		{"until is exclusive", domain.AlertQuery{Until: m[10].Time}},
		{"window off the hour", domain.AlertQuery{Since: base.Add(90*time.Minute + 7*time.Second), Until: base.Add(15*time.Hour + 13*time.Minute)}},
		{"since off the hour", domain.AlertQuery{Since: base.Add(5*time.Hour + 59*time.Minute), MinSeverity: 2}},
		{"min severity", domain.AlertQuery{MinSeverity: 3}},
		{"rule by ID", domain.AlertQuery{Rules: []string{"TRC-102"}}},
		{"rule by name", domain.AlertQuery{Rules: []string{"Illegitimate shell"}}},
		{"rule by event name", domain.AlertQuery{Rules: []string{"ld_preload", "TRC-1022"}}},
		{"host", domain.AlertQuery{Hosts: []string{"web-2"}}},
		{"hosts", domain.AlertQuery{Hosts: []string{"web-1", "db-1"}}},
		{"container by ID", domain.AlertQuery{Containers: []string{Containers[2].ID}}},
		{"container by ID prefix", domain.AlertQuery{Containers: []string{"4f2a"}}},
		{"container by name", domain.AlertQuery{Containers: []string{"nginx"}}},
		{"image by name, every tag", domain.AlertQuery{Images: []string{"docker.io/library/nginx"}}},
		{"image by name and tag", domain.AlertQuery{Images: []string{"postgres:16", "docker.io/library/redis:6"}}},
		{"pod by name", domain.AlertQuery{Pods: []string{"web-1"}}},
		{"pod by namespace/name", domain.AlertQuery{Pods: []string{"data/db-0", "shop/db-0"}}},
		{"pod and image", domain.AlertQuery{Pods: []string{"web-1"}, Images: []string{"postgres"}}},
		{"process", domain.AlertQuery{Processes: []string{"curl"}}},
		{"technique by ID", domain.AlertQuery{Techniques: []string{"T1622"}}},
		{"technique by name", domain.AlertQuery{Techniques: []string{"Hijack Execution Flow"}}},
		{"combined", domain.AlertQuery{Since: base.Add(time.Hour), MinSeverity: 2, Hosts: []string{"web-1"}, Processes: []string{"bash", "nginx"}}},
		{"no match", domain.AlertQuery{Hosts: []string{"nowhere"}}},
		{"text word", domain.AlertQuery{Text: "shell"}},
		{"text two words", domain.AlertQuery{Text: "executable disk"}},
		{"text case", domain.AlertQuery{Text: "PTRACE"}},
		{"text prefix", domain.AlertQuery{Text: "reconn*"}},
		{"text and filter", domain.AlertQuery{Text: "shell", Hosts: []string{"db-1"}}},
		{"text no match", domain.AlertQuery{Text: "kubernetes"}},
		{"ascending", domain.AlertQuery{Ascending: true, Hosts: []string{"web-1"}}},
	}

	t.Run("search and count", func(t *testing.T) {
		for _, tt := range queries {
			t.Run(tt.name, func(t *testing.T) {
				want := m.match(tt.q)
				got := searchAll(t, s, tt.q, 10000)
				assert.Equal(t, keys(want), keys(got))
				n, err := s.Count(ctx, tt.q)
				require.NoError(t, err)
				assert.Equal(t, int64(len(want)), n)
			})
		}
	})

	t.Run("alert fields", func(t *testing.T) {
		page, err := s.Search(ctx, domain.AlertQuery{Limit: 1, Ascending: true})
		require.NoError(t, err)
		require.Len(t, page.Alerts, 1)
		got, want := page.Alerts[0], m[0]
		assert.NotEmpty(t, got.ID)
		assert.NotEmpty(t, got.Event, "the full event")
		got.ID, got.Event = "", nil
		assert.Equal(t, want, got)
	})

	t.Run("limit returns the newest first", func(t *testing.T) {
		page, err := s.Search(ctx, domain.AlertQuery{Limit: 5})
		require.NoError(t, err)
		assert.Equal(t, keys(m.match(domain.AlertQuery{})[:5]), keys(page.Alerts))
		assert.NotEmpty(t, page.Next)
	})

	t.Run("aggregate", func(t *testing.T) {
		for _, f := range domain.AlertFields {
			for _, q := range []domain.AlertQuery{{}, {Hosts: []string{"web-1"}, Since: base.Add(5 * time.Hour)}, {Text: "shell"},
				{Since: base.Add(100 * time.Minute), Until: base.Add(17*time.Hour + time.Second), Rules: []string{"TRC-102", "TRC-107"}}} {
				for _, size := range []int{2, 100} {
					t.Run(fmt.Sprintf("%s/%v/%d", f, q.Hosts, size), func(t *testing.T) {
						got, err := s.Aggregate(ctx, q, f, size)
						require.NoError(t, err)
						assert.Equal(t, m.aggregate(q, f, size), got)
					})
				}
			}
		}
	})

	t.Run("histogram", func(t *testing.T) {
		for _, tt := range []struct {
			q  domain.AlertQuery
			iv time.Duration
		}{
			{domain.AlertQuery{}, time.Hour},
			{domain.AlertQuery{}, 15 * time.Minute},
			{domain.AlertQuery{Rules: []string{"TRC-105"}, Since: base.Add(3 * time.Hour)}, 10 * time.Minute},
			{domain.AlertQuery{}, 24 * time.Hour},
			{domain.AlertQuery{Since: base.Add(100 * time.Minute), Until: base.Add(17*time.Hour + time.Second)}, 2 * time.Hour},
		} {
			t.Run(fmt.Sprintf("%s/%v", tt.iv, tt.q.Rules), func(t *testing.T) {
				got, err := s.Histogram(ctx, tt.q, tt.iv)
				require.NoError(t, err)
				want := m.histogram(tt.q, tt.iv)
				require.Equal(t, len(want), len(got))
				for i := range want { // compare instants, not time zones
					assert.True(t, want[i].Start.Equal(got[i].Start), "bucket %d: want %s, got %s", i, want[i].Start, got[i].Start)
					assert.Equal(t, want[i].Count, got[i].Count, "bucket %d", i)
				}
			})
		}
	})

	t.Run("paging across more than 10000 alerts", func(t *testing.T) {
		big := newStore(t)
		start := base.Add(-24 * time.Hour)
		bevs := Events(start, 12500, 5*time.Second)
		big.Add(t, bevs)
		bm := newModel(bevs)
		for _, tt := range []struct {
			name  string
			q     domain.AlertQuery
			limit int
		}{
			{"newest first", domain.AlertQuery{}, 1000},
			{"oldest first", domain.AlertQuery{Ascending: true}, 4999},
			{"filtered", domain.AlertQuery{Hosts: []string{"web-1", "web-2"}}, 3000},
			// a word of half the alerts: the embedded store walks time order for it
			{"common word", domain.AlertQuery{Text: "a"}, 1000},
			{"rare word and filter", domain.AlertQuery{Text: "debugger", Hosts: []string{"db-1"}}, 300},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got := searchAll(t, big, tt.q, tt.limit)
				assert.Equal(t, keys(bm.match(tt.q)), keys(got))
			})
		}
	})

	t.Run("follow sees alerts recorded later", func(t *testing.T) {
		f := newStore(t)
		start := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Minute)
		all := Events(start, 30, time.Second)
		f.Add(t, all[:10])
		first := searchAll(t, f, domain.AlertQuery{Ascending: true, Since: start}, 100)
		require.Len(t, first, 10)
		last := first[len(first)-1].Time
		f.Add(t, all[10:])
		// a follower asks again from the last time it saw (inclusive) and drops what it saw
		next := searchAll(t, f, domain.AlertQuery{Ascending: true, Since: last}, 100)
		require.NotEmpty(t, next)
		assert.Equal(t, key(first[len(first)-1]), key(next[0]))
		assert.Equal(t, keys(newModel(all[10:]).match(domain.AlertQuery{Ascending: true})), keys(next[1:]))
	})
}
