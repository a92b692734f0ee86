package elasticsearch

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Integration tests run against the node scripts/test.d/30-elasticsearch.sh starts.

func esURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("ELASTICSEARCH_URL")
	if u == "" {
		t.Skip("ELASTICSEARCH_URL not set (scripts/test.d/30-elasticsearch.sh starts a node)")
	}
	return u
}

// uniquePrefix keeps the tests' indices apart on a shared node.
func uniquePrefix(name string) string {
	return fmt.Sprintf("it-%s-%d", name, rand.Uint32())
}

func rawClient(t testing.TB, url string) *elasticsearch.Client {
	c, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{url}})
	require.NoError(t, err)
	return c
}

// getJSON sends a request and decodes the answer.
func getJSON(t *testing.T, c *elasticsearch.Client, method, path string, out interface{}) int {
	t.Helper()
	req, err := newRequest(method, path)
	require.NoError(t, err)
	res, err := c.Perform(req)
	require.NoError(t, err)
	defer res.Body.Close()
	if out != nil {
		require.NoError(t, json.NewDecoder(res.Body).Decode(out))
	}
	return res.StatusCode
}

func countDocs(t *testing.T, c *elasticsearch.Client, prefix string) int {
	t.Helper()
	var r struct {
		Count int `json:"count"`
	}
	_ = getJSON(t, c, "POST", "/"+IndexPattern(prefix)+"/_refresh", nil)
	if code := getJSON(t, c, "GET", "/"+IndexPattern(prefix)+"/_count", &r); code != 200 {
		return 0
	}
	return r.Count
}

func deleteIndices(t *testing.T, c *elasticsearch.Client, prefix string) {
	t.Cleanup(func() { dropIndices(c, prefix) })
}

func TestIntegration_ECS_fields_round_trip_with_their_types(t *testing.T) {
	url := esURL(t)
	c := rawClient(t, url)
	prefix := uniquePrefix("ecs")
	deleteIndices(t, c, prefix)
	cfg := testConfig(t, url)
	cfg.IndexPrefix = prefix
	cfg.Replicas = 0
	s, err := New(cfg, quietLog())
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	ev := testAlert(1_764_000_000_123_456_789, "10.96.0.1")
	ev.Executable.Path = "/usr/bin/curl"
	ev.Args = append(ev.Args, argOf("argv", []string{"curl", "-k", "https://10.96.0.1"}))
	require.NoError(t, s.Write(context.Background(), &ev))
	require.NoError(t, s.Flush(context.Background()))
	require.NoError(t, s.Close(context.Background()))
	require.Equal(t, 1, countDocs(t, c, prefix))

	// the template is installed and was applied to the daily index
	var tpl struct {
		IndexTemplates []struct {
			Name string `json:"name"`
		} `json:"index_templates"`
	}
	require.Equal(t, 200, getJSON(t, c, "GET", "/_index_template/"+TemplateName(prefix), &tpl))
	require.Len(t, tpl.IndexTemplates, 1)
	index := IndexName(prefix, time.Unix(0, int64(ev.Timestamp)))
	var mapping map[string]struct {
		Mappings struct {
			Dynamic    string                 `json:"dynamic"`
			Properties map[string]interface{} `json:"properties"`
		} `json:"mappings"`
	}
	require.Equal(t, 200, getJSON(t, c, "GET", "/"+index+"/_mapping", &mapping))
	props := mapping[index].Mappings.Properties
	assert.Equal(t, "false", mapping[index].Mappings.Dynamic)
	wantTypes := map[string]string{
		FieldTimestamp: "date", "event.created": "date", FieldEventKind: "keyword", FieldEventSeverity: "long",
		FieldEventCategory: "keyword", FieldEventAction: "keyword", FieldRuleID: "keyword", FieldRuleName: "keyword",
		FieldRuleDescription: "keyword", FieldThreatTechniqueID: "keyword", FieldThreatTechnique: "keyword",
		FieldThreatTactic: "keyword", "threat.framework": "keyword", FieldProcessPID: "long",
		"process.thread.id": "long", "process.parent.pid": "long", FieldProcessName: "keyword",
		FieldProcessExecutable: "keyword", "process.args": "keyword", FieldProcessEntityID: "keyword",
		FieldUserID: "keyword", FieldHostName: "keyword", FieldContainerID: "keyword", FieldContainerName: "keyword",
		FieldContainerImage: "keyword", "orchestrator.namespace": "keyword", "orchestrator.resource.name": "keyword",
		FieldDestinationIP: "ip", "destination.port": "long", FieldTraceeArgs: "flattened",
		"tracee.trigger_event": "keyword", FieldTags: "keyword", FieldMessage: "text",
		FieldThreatSubID: "keyword", FieldThreatSub: "keyword", FieldThreatTacticID: "keyword",
		"agent.id": "keyword", "agent.version": "keyword",
		FieldTraceeHostName: "keyword", FieldTraceeAttackID: "keyword", "container.image.hash.all": "keyword",
	}
	for field, typ := range wantTypes {
		got, ok := mappingType(props, field)
		assert.True(t, ok, "mapping has %s", field)
		assert.Equal(t, typ, got, "type of %s", field)
	}

	// the document reads back equal to what was built, field by field
	var got struct {
		Source Document `json:"_source"`
	}
	require.Equal(t, 200, getJSON(t, c, "GET", "/"+index+"/_doc/"+DocumentID(&ev), &got))
	want := s.cfg.Identity.Document(&ev, got.Source.Event.Created)
	wantJSON, _ := json.Marshal(want)
	gotJSON, _ := json.Marshal(got.Source)
	assert.JSONEq(t, string(wantJSON), string(gotJSON))
	assert.Equal(t, ev.Timestamp, got.Source.Tracee.Event.Timestamp, "the Tracee event is kept in full")

	// typed queries work: a term on an ip, a range on a long, a flattened key
	for _, q := range []string{
		`{"query":{"term":{"destination.ip":"10.96.0.0/16"}}}`,
		`{"query":{"range":{"event.severity":{"gte":0,"lte":0}}}}`,
		`{"query":{"term":{"tracee.args.ip":"10.96.0.1"}}}`,
		`{"query":{"term":{"threat.technique.id":"T1526"}}}`,
		`{"query":{"range":{"@timestamp":{"gte":"2025-11-24T00:00:00Z"}}}}`,
	} {
		res, err := c.Search(c.Search.WithIndex(IndexPattern(prefix)), c.Search.WithBody(strings.NewReader(q)))
		require.NoError(t, err)
		var r struct {
			Hits struct {
				Total struct {
					Value int `json:"value"`
				} `json:"total"`
			} `json:"hits"`
		}
		require.NoError(t, json.NewDecoder(res.Body).Decode(&r))
		res.Body.Close()
		assert.Equal(t, 1, r.Hits.Total.Value, q)
	}
}

func TestIntegration_rejected_value_is_kept_as_text(t *testing.T) {
	url := esURL(t)
	c := rawClient(t, url)
	prefix := uniquePrefix("reject")
	deleteIndices(t, c, prefix)
	cfg := testConfig(t, url)
	cfg.IndexPrefix = prefix
	cfg.Replicas = 0
	s, err := New(cfg, quietLog())
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	ev := testAlert(1_764_000_000_000_000_000, "not-an-ip")
	require.NoError(t, s.Write(context.Background(), &ev))
	waitFor(t, "the repaired document", func() bool { return countDocs(t, c, prefix) == 1 })
	require.NoError(t, s.Close(context.Background()))
	assert.Equal(t, uint64(1), s.Stats().Repaired)

	var got struct {
		Source Document `json:"_source"`
	}
	index := IndexName(prefix, time.Unix(0, int64(ev.Timestamp)))
	require.Equal(t, 200, getJSON(t, c, "GET", "/"+index+"/_doc/"+DocumentID(&ev), &got))
	require.Len(t, got.Source.Tracee.Rejected, 1)
	assert.Equal(t, "destination.ip", got.Source.Tracee.Rejected[0].Field)
	assert.Equal(t, `"not-an-ip"`, got.Source.Tracee.Rejected[0].Value)
	require.NotNil(t, got.Source.Rule)
	assert.Equal(t, "TRC-1013", got.Source.Rule.ID)
}

func TestIntegration_wrong_credentials_one_clear_line(t *testing.T) {
	url := os.Getenv("ELASTICSEARCH_SECURE_URL")
	if url == "" {
		t.Skip("ELASTICSEARCH_SECURE_URL not set (scripts/test.d/30-elasticsearch.sh starts a secured node)")
	}
	cfg := testConfig(t, url)
	cfg.Username, cfg.Password = os.Getenv("ELASTICSEARCH_SECURE_USER"), "wrong-password"
	s, err := New(cfg, quietLog())
	require.NoError(t, err)
	err = s.Start(context.Background())
	require.ErrorIs(t, err, ErrAuth)
	t.Logf("the user sees: %v", err)
	assert.NotContains(t, err.Error(), "\n")
	assert.NotContains(t, err.Error(), "wrong-password")
	assert.Contains(t, err.Error(), "401 Unauthorized")
	require.NoError(t, s.Close(context.Background()))

	// and the right ones work
	c, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{url},
		Username: os.Getenv("ELASTICSEARCH_SECURE_USER"), Password: os.Getenv("ELASTICSEARCH_SECURE_PASSWORD")})
	require.NoError(t, err)
	prefix := uniquePrefix("secure")
	deleteIndices(t, c, prefix)
	cfg = testConfig(t, url)
	cfg.IndexPrefix, cfg.Replicas = prefix, 0
	cfg.Username, cfg.Password = os.Getenv("ELASTICSEARCH_SECURE_USER"), os.Getenv("ELASTICSEARCH_SECURE_PASSWORD")
	s, err = New(cfg, quietLog())
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	ev := testAlert(42, "10.0.0.1")
	require.NoError(t, s.Write(context.Background(), &ev))
	require.NoError(t, s.Close(context.Background()))
	assert.Equal(t, uint64(1), s.Stats().Indexed)
}

func TestIntegration_agent_restart_ships_the_spool(t *testing.T) {
	url := esURL(t)
	c := rawClient(t, url)
	prefix := uniquePrefix("restart")
	deleteIndices(t, c, prefix)
	cfg := testConfig(t, "http://127.0.0.1:1") // the first run cannot reach anything
	cfg.IndexPrefix, cfg.Replicas, cfg.QueueSize = prefix, 0, 50
	s, err := New(cfg, quietLog())
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	const n = 1000
	for i := range n {
		ev := testAlert(1_764_000_000_000_000_000+i, "10.0.0.1")
		require.NoError(t, s.Write(context.Background(), &ev))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, s.Close(ctx))
	require.Positive(t, s.Stats().SpoolBytes)

	cfg.Addresses = []string{url}
	s2, err := New(cfg, quietLog())
	require.NoError(t, err)
	require.NoError(t, s2.Start(context.Background()))
	waitFor(t, "every spooled alert", func() bool { return countDocs(t, c, prefix) >= n })
	require.NoError(t, s2.Close(context.Background()))
	assert.Equal(t, n, countDocs(t, c, prefix), "each alert exactly once")
	assert.Zero(t, s2.Stats().SpoolBytes)
}

func TestIntegration_retention_deletes_old_daily_indices(t *testing.T) {
	url := esURL(t)
	c := rawClient(t, url)
	prefix := uniquePrefix("retention")
	deleteIndices(t, c, prefix)
	now := time.Now()
	old, fresh := IndexName(prefix, now.AddDate(0, 0, -10)), IndexName(prefix, now.AddDate(0, 0, -2))
	for _, idx := range []string{old, fresh, prefix + "-not-a-date"} {
		res, err := c.Indices.Create(idx)
		require.NoError(t, err)
		res.Body.Close()
	}
	cfg := testConfig(t, url)
	cfg.IndexPrefix, cfg.RetentionDays = prefix, 7
	s, err := New(cfg, quietLog())
	require.NoError(t, err)
	deleted, err := s.DeleteOldIndices(context.Background(), now)
	require.NoError(t, err)
	assert.Equal(t, []string{old}, deleted)
	require.NoError(t, s.Close(context.Background()))
}

// TestIntegration_outage stops Elasticsearch in the middle of a stream of alerts, keeps writing,
// starts it again and checks that every alert is there exactly once. It runs on a node of its
// own (test-outage) so the other tests keep theirs.
func TestIntegration_outage(t *testing.T) {
	esURL(t)
	ctl := os.Getenv("ELASTICSEARCH_CTL")
	if ctl == "" {
		t.Skip("ELASTICSEARCH_CTL not set (scripts/test.d/30-elasticsearch.sh exports it)")
	}
	node := "test-outage"
	run := func(args ...string) string {
		out, err := exec.Command(ctl, args...).Output()
		require.NoError(t, err, "%s %v", ctl, args)
		return strings.TrimSpace(string(out))
	}
	url := run("start", node)
	t.Cleanup(func() { _ = exec.Command(ctl, "destroy", node).Run() })
	c := rawClient(t, url)
	prefix := uniquePrefix("outage")
	cfg := testConfig(t, url)
	cfg.IndexPrefix, cfg.Replicas, cfg.QueueSize = prefix, 0, 500
	cfg.MaxBackoff = 2 * time.Second
	s, err := New(cfg, quietLog())
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))

	// ~1,000 alerts/s from another goroutine while the node goes down and comes back
	var written atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			ev := testAlert(1_764_000_000_000_000_000+i, "10.0.0.1")
			if s.Write(context.Background(), &ev) == nil {
				written.Add(1)
			}
		}
	}()
	time.Sleep(2 * time.Second)
	run("stop", node)
	stoppedAt := written.Load()
	time.Sleep(3 * time.Second)
	require.True(t, s.Stats().Down, "the sink noticed the outage")
	run("start", node)
	time.Sleep(2 * time.Second)
	close(stop)
	<-done
	n := int(written.Load())
	t.Logf("written %d alerts, %d of them during the outage; stats %+v", n, n-int(stoppedAt), s.Stats())
	waitFor(t, "every alert after the outage", func() bool { return countDocs(t, c, prefix) >= n })
	require.NoError(t, s.Close(context.Background()))
	st := s.Stats()
	assert.Equal(t, n, countDocs(t, c, prefix), "each alert exactly once")
	assert.Zero(t, st.Evicted)
	assert.Positive(t, st.Spooled, "alerts went through the spool")
}

func newRequest(method, path string) (*http.Request, error) {
	return http.NewRequest(method, path, nil)
}

func argOf(name string, v interface{}) trace.Argument {
	return trace.Argument{ArgMeta: trace.ArgMeta{Name: name}, Value: v}
}
