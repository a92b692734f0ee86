package stdout_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/sinktest"
	"github.com/seed-428f5ad7/tracee/internal/adapters/stdout"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func TestSink_contract(t *testing.T) {
	sinktest.Run(t, func(t *testing.T) sinktest.Harness {
		path := filepath.Join(t.TempDir(), "out.json")
		s, err := stdout.New(stdout.Config{Format: stdout.FormatJSON, Path: path}, nil)
		require.NoError(t, err)
		return sinktest.Harness{Sink: s, Recorded: func(t *testing.T) []int {
			f, err := os.Open(path)
			require.NoError(t, err)
			defer f.Close()
			var out []int
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				var ev trace.Event
				require.NoError(t, json.Unmarshal(sc.Bytes(), &ev))
				out = append(out, ev.HostProcessID)
			}
			return out
		}}
	})
}
