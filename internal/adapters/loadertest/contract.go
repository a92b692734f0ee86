// Package loadertest is the contract every ports.SignatureLoader must honour: the Go plugin loader
// and the Rego loader judge every file on their own, and never stop on a bad one.
package loadertest

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// Harness makes signature files of the loader's kind.
type Harness struct {
	Loader ports.SignatureLoader
	// Good writes one or more valid signature files into dir and returns their IDs.
	Good func(t *testing.T, dir string) []string
	// Broken writes an invalid signature file into dir and returns its path.
	Broken func(t *testing.T, dir string) string
}

// Run runs the contract. newHarness is called once per case.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	ctx := context.Background()

	t.Run("loads the good files and reports the broken one by path", func(t *testing.T) {
		h := newHarness(t)
		dir := t.TempDir()
		want := h.Good(t, dir)
		broken := h.Broken(t, dir)
		res := h.Loader.Load(ctx, []string{dir})
		var got []string
		for _, s := range res.Signatures {
			got = append(got, s.Info.Metadata.ID)
			assert.NotEmpty(t, s.Info.Origin, "a signature names the file it came from")
		}
		assert.ElementsMatch(t, want, got)
		var paths []string
		for _, p := range res.Problems {
			paths = append(paths, p.Path)
			assert.NotEmpty(t, p.Cause)
		}
		assert.True(t, slices.Contains(paths, broken), "problems %v name %s", res.Problems, broken)
	})

	t.Run("an empty or missing directory is no error", func(t *testing.T) {
		h := newHarness(t)
		res := h.Loader.Load(ctx, []string{t.TempDir(), filepath.Join(t.TempDir(), "missing")})
		assert.Empty(t, res.Signatures)
	})

	t.Run("a cancelled context returns", func(t *testing.T) {
		h := newHarness(t)
		dir := t.TempDir()
		h.Good(t, dir)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		require.NotPanics(t, func() { h.Loader.Load(cctx, []string{dir}) })
	})
}
