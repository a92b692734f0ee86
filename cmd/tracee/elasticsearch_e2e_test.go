package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestElasticsearch_replay_ships_alerts_that_alerts_search_finds runs the whole path through the
// binary: findings of a replay go to a real Elasticsearch output, and `tracee alerts search`
// reads them back from the cluster.
func TestElasticsearch_replay_ships_alerts_that_alerts_search_finds(t *testing.T) {
	url := os.Getenv("ELASTICSEARCH_URL")
	if url == "" {
		t.Skip("ELASTICSEARCH_URL not set (scripts/test.d/30-elasticsearch.sh starts a node under make test)")
	}
	prefix := fmt.Sprintf("tracee-e2e-%d", time.Now().UnixNano())
	spool := t.TempDir()
	_, stderr, code := runTracee(t, "--replay", sampleEvents, "-o", "none",
		"-o", "elasticsearch:"+url+"?index="+prefix+"&spool-dir="+spool)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "indexed=4")

	var stdout string
	require.Eventually(t, func() bool {
		stdout, stderr, code = runTracee(t, "alerts", "search", "--elasticsearch", url, "--index-prefix", prefix,
			"--since", "100000h", "-o", "ndjson")
		return code == 0 && strings.Count(stdout, "\n") == len(sampleFindings)
	}, 60*time.Second, time.Second, "alerts searchable: %s %s", stdout, stderr)
	for _, want := range sampleFindings {
		assert.Contains(t, stdout, want.sigID)
	}

	stdout, stderr, code = runTracee(t, "alerts", "search", "--elasticsearch", url, "--index-prefix", prefix,
		"--since", "100000h", "--by", "rule")
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `TRC-107\s+2`, stdout)
}
