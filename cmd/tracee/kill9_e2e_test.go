package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/elasticsearch"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// uniqueReplay writes the sample's valid events copies times, each copy with its own timestamps,
// so that every finding is distinct (and so is its Elasticsearch ID). The agents run with
// --finding-rate -1: the storm limiter starts afresh after each kill, which would change what is sent.
func uniqueReplay(t *testing.T, copies int) string {
	t.Helper()
	data, err := os.ReadFile(sampleEvents)
	require.NoError(t, err)
	var lines []map[string]any
	for i, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if i == 3 {
			continue // the cut-short line
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		lines = append(lines, m)
	}
	path := filepath.Join(t.TempDir(), "unique.jsonl")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	ts := int64(1_700_000_000_000_000_000)
	for c := 0; c < copies; c++ {
		for _, m := range lines {
			ts += 1000
			m["timestamp"] = ts
			require.NoError(t, enc.Encode(m))
		}
	}
	require.NoError(t, w.Flush())
	return path
}

// findingIDs reads a JSON output file (a torn last line from a kill is skipped) and returns the
// Elasticsearch ID of every finding in it.
func findingIDs(t *testing.T, path string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return ids
	}
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev trace.Event
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		ids[elasticsearch.DocumentID(&ev)] = true
	}
	return ids
}

// esIDs returns the IDs of every document under prefix-*, after a refresh.
func esIDs(t *testing.T, url, prefix string) []string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/"+prefix+"-*/_refresh", nil)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
	}
	res, err := http.Get(url + "/" + prefix + "-*/_search?size=10000&_source=false&q=*")
	require.NoError(t, err)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var out struct {
		Hits struct {
			Hits []struct {
				ID string `json:"_id"`
			} `json:"hits"`
		} `json:"hits"`
	}
	require.NoError(t, json.Unmarshal(body, &out), string(body))
	ids := make([]string, 0, len(out.Hits.Hits))
	for _, h := range out.Hits.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}

// kill -9 at random points, again and again, on one spool: every finding the agent handed to its
// outputs (seen in the JSON file written alongside) ends up in Elasticsearch once.
func TestElasticsearch_kill9_loses_nothing_and_duplicates_nothing(t *testing.T) {
	url := os.Getenv("ELASTICSEARCH_URL")
	if url == "" {
		t.Skip("ELASTICSEARCH_URL not set (scripts/test.d/30-elasticsearch.sh starts a node under make test)")
	}
	bin := builtTracee(t)
	input := uniqueReplay(t, 2000) // 14,000 events, 8,000 findings
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.json")
	start := time.Now()
	_, stderr, code := runTracee(t, "--replay", input, "--finding-rate", "-1", "-o", "json:"+ref)
	require.Equal(t, 0, code, stderr)
	full := time.Since(start)
	all := findingIDs(t, ref)
	require.Len(t, all, 8000)

	prefix := fmt.Sprintf("tracee-kill9-%d", time.Now().UnixNano())
	spool := filepath.Join(dir, "spool")
	es := "elasticsearch:" + url + "?index=" + prefix + "&spool-dir=" + spool + "&flush-interval=50ms"
	handed := map[string]bool{}
	const kills = 20
	killed := 0
	// every run is killed before it could finish: a run that finished would ship everything again
	// (the replay starts over each time) and hide a loss
	for i := 0; i < kills; i++ {
		out := filepath.Join(dir, fmt.Sprintf("run%02d.json", i))
		cmd := exec.Command(bin, "--replay", input, "--finding-rate", "-1", "-o", "json:"+out, "-o", es)
		cmd.Stderr = io.Discard
		require.NoError(t, cmd.Start())
		time.Sleep(full/10 + time.Duration(rand.Int64N(int64(full)*7/10+1)))
		if cmd.ProcessState == nil && cmd.Process.Signal(syscall.SIGKILL) == nil {
			killed++
		}
		_ = cmd.Wait()
		for id := range findingIDs(t, out) {
			handed[id] = true
		}
	}
	require.Equal(t, kills, killed, "a run finished before its kill: make the input longer")
	// a last run on the same spool, kept alive (its input stays open) until it shipped what the
	// spool holds, as a restarted agent would
	last := exec.Command(bin, "--replay", "-", "--finding-rate", "-1", "-o", "none", "-o", es)
	stdin, err := last.StdinPipe()
	require.NoError(t, err)
	last.Stderr = io.Discard
	require.NoError(t, last.Start())
	var ids []string
	allThere := func() bool {
		ids = esIDs(t, url, prefix)
		in := map[string]bool{}
		for _, id := range ids {
			in[id] = true
		}
		for id := range handed {
			if !in[id] {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(2 * time.Minute)
	for !allThere() && time.Now().Before(deadline) {
		time.Sleep(time.Second)
	}
	require.NoError(t, stdin.Close())
	require.NoError(t, last.Wait())
	ids = esIDs(t, url, prefix)
	seen := map[string]bool{}
	for _, id := range ids {
		assert.False(t, seen[id], "duplicate document %s", id)
		seen[id] = true
		assert.True(t, all[id], "document %s is no finding of the input", id)
	}
	lost := 0
	for id := range handed {
		if !seen[id] {
			lost++
		}
	}
	t.Logf("%d kills; %d findings handed to the outputs; %d documents in Elasticsearch; %d lost", killed, len(handed), len(ids), lost)
	assert.Zero(t, lost)
	assert.LessOrEqual(t, len(ids), len(all))
	assert.NotEmpty(t, handed)
}
