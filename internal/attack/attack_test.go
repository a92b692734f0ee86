package attack

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLookupTechnique_sub_and_parent(t *testing.T) {
	sub, ok := LookupTechnique("t1574.006")
	require.True(t, ok)
	assert.Equal(t, "T1574.006", sub.ID)
	assert.Equal(t, "Dynamic Linker Hijacking", sub.Name)
	assert.True(t, sub.IsSub())
	assert.Equal(t, "T1574", Parent(sub.ID))
	parent, ok := LookupTechnique(Parent(sub.ID))
	require.True(t, ok)
	assert.Equal(t, "Hijack Execution Flow", parent.Name)
	assert.False(t, parent.IsSub())
	_, ok = LookupTechnique("T0000")
	assert.False(t, ok)
}

func TestLookupTactic_by_id_shortname_or_name(t *testing.T) {
	for _, s := range []string{"TA0005", "defense-evasion", "Defense Evasion"} {
		tac, ok := LookupTactic(s)
		require.True(t, ok, s)
		assert.Equal(t, Tactic{ID: "TA0005", Shortname: "defense-evasion", Name: "Defense Evasion"}, tac)
	}
	assert.Len(t, Tactics(), 14)
}
