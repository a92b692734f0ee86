package elasticsearch

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/sinktest"
)

// The sink contract against the Elasticsearch stand-in (the integration tests cover a real node).
func TestSink_contract(t *testing.T) {
	sinktest.Run(t, func(t *testing.T) sinktest.Harness {
		f, srv := newFakeES(t)
		s, err := New(testConfig(t, srv.URL), quietLog())
		require.NoError(t, err)
		require.NoError(t, s.Start(context.Background()))
		return sinktest.Harness{Sink: s, Recorded: func(t *testing.T) []int {
			f.mu.Lock()
			defer f.mu.Unlock()
			var out []int
			for _, src := range f.docs {
				var doc struct {
					Process struct {
						PID int `json:"pid"`
					} `json:"process"`
				}
				require.NoError(t, json.Unmarshal(src, &doc))
				out = append(out, doc.Process.PID)
			}
			return out
		}}
	})
}
