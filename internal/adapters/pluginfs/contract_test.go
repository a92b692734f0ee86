package pluginfs

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/seed-428f5ad7/tracee/internal/adapters/loadertest"
)

func TestLoader_contract(t *testing.T) {
	fx := plugins(t)
	loadertest.Run(t, func(t *testing.T) loadertest.Harness {
		return loadertest.Harness{
			Loader: New(Config{}, slog.New(slog.DiscardHandler)),
			Good: func(t *testing.T, dir string) []string {
				link(t, filepath.Join(fx, "good.so"), filepath.Join(dir, "good.so"))
				return []string{"TEST-1", "TEST-2"}
			},
			Broken: func(t *testing.T, dir string) string {
				path := filepath.Join(dir, "text.so")
				writeFile(t, path, "not a plugin\n")
				return path
			},
		}
	})
}
