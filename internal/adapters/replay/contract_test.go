package replay_test

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/replay"
	"github.com/seed-428f5ad7/tracee/internal/adapters/sourcetest"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func TestSource_contract(t *testing.T) {
	sourcetest.Run(t, func(t *testing.T, events []trace.Event) ports.EventSource {
		path := filepath.Join(t.TempDir(), "events.jsonl")
		f, err := os.Create(path)
		require.NoError(t, err)
		enc := json.NewEncoder(f)
		for i := range events {
			require.NoError(t, enc.Encode(&events[i]))
		}
		require.NoError(t, f.Close())
		// the recorded finding's event name is a signature event of this catalog
		sigs := []domain.EventDefinition{{ID: 6000, Name: "anti_debugging", Kind: domain.KindSignature}}
		return replay.New(replay.Config{Path: path, Catalog: domain.NewCatalog(sigs, domain.BaseEvents())},
			slog.New(slog.DiscardHandler))
	})
}
