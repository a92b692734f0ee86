package pluginfs

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs/testdata/testsig"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/prefilter"
)

// kcoreReader is an in-tree signature that declares its open interest, as the built-in ones do.
type kcoreReader struct{ testsig.Sig }

func (*kcoreReader) GetSelectedEvents() ([]detect.SignatureEventSelector, error) {
	return []detect.SignatureEventSelector{{Source: "tracee", Name: "security_file_open", Origin: "*"}}, nil
}

func (*kcoreReader) OpenInterest() (prefilter.OpenInterest, bool) {
	return prefilter.OpenInterest{Names: []string{"kcore"}}, true
}

// TestBuild_out_of_tree_plugin_declares_prefilter_interests: a plugin module outside this
// repository whose signatures implement types/prefilter's optional methods, built and loaded as a
// user's would be, adds its interests to the union the kernel filters by; a Tracee plugin that
// selects security_file_open without the method turns that filter off.
func TestBuild_out_of_tree_plugin_declares_prefilter_interests(t *testing.T) {
	sigsDir := outOfTreePlugins(t)
	inTree := domain.Builtin([]detect.Signature{&kcoreReader{Sig: testsig.Sig{ID: "IN-1", Event: "in_kcore_read"}}})
	shebang := &prefilter.MagicInterest{Prefixes: []string{"#!"}}
	tests := []struct {
		name      string
		dirs      []string
		wantIDs   []string
		wantOpen  *prefilter.OpenInterest // nil: off, every open is sent
		wantMagic *prefilter.MagicInterest
	}{
		{
			name:      "the plugin's interests join the in-tree one",
			dirs:      []string{outOfTree.interestDir},
			wantIDs:   []string{"IN-1", "INT-1", "INT-2"},
			wantOpen:  &prefilter.OpenInterest{Names: []string{"kcore", "shadow"}},
			wantMagic: shebang,
		},
		{
			name:      "a Tracee plugin selecting security_file_open without the method: the open filter is off",
			dirs:      []string{outOfTree.interestDir, sigsDir},
			wantIDs:   []string{"IN-1", "INT-1", "INT-2", "OOT-1", "OOT-2", "OOT-3", "OWN-1"},
			wantOpen:  nil,
			wantMagic: shebang,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := New(Config{AllowNonRootWritable: true}, nil).Load(context.Background(), tt.dirs)
			require.Empty(t, res.Problems)
			loaded := append(slices.Clone(inTree), res.Signatures...)
			assert.ElementsMatch(t, tt.wantIDs, ids(loaded))
			sel, err := domain.Select(domain.NewCatalog(domain.BaseEvents(), domain.SignatureEvents(loaded)), nil)
			require.NoError(t, err)

			oi, ok := domain.OpenInterestOf(loaded, sel)
			if assert.Equal(t, tt.wantOpen != nil, ok, "open filter on") && ok {
				assert.Equal(t, *tt.wantOpen, oi)
			}
			mi, ok := domain.MagicInterestOf(loaded, sel)
			if assert.Equal(t, tt.wantMagic != nil, ok, "magic filter on") && ok {
				assert.Equal(t, *tt.wantMagic, mi)
			}
		})
	}
}
