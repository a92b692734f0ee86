package elasticsearch

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/attack"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	builtin "github.com/seed-428f5ad7/tracee/signatures"
)

func TestThreat_splits_subtechnique(t *testing.T) {
	th := threat("T1574.006", "Dynamic Linker Hijacking", "defense-evasion")
	require.NotNil(t, th)
	assert.Equal(t, &DocTechnique{ID: "T1574", Name: "Hijack Execution Flow",
		Reference: "https://attack.mitre.org/techniques/T1574/",
		Subtechnique: &DocNameID{ID: "T1574.006", Name: "Dynamic Linker Hijacking",
			Reference: "https://attack.mitre.org/techniques/T1574/006/"}}, th.Technique)
	assert.Equal(t, []string{"TA0005"}, th.Tactic.ID)
	assert.Equal(t, []string{"Defense Evasion"}, th.Tactic.Name)
}

func TestThreat_cases(t *testing.T) {
	tests := []struct {
		name, id, tech, cat     string
		wantTech, wantSub       string
		wantTactics, wantTNames []string
	}{
		{name: "technique with its tactic", id: "T1622", tech: "Debugger Evasion", cat: "defense-evasion",
			wantTech: "T1622", wantTactics: []string{"TA0005"}},
		{name: "no category: every tactic of the technique", id: "T1574.006",
			wantTech: "T1574", wantSub: "T1574.006", wantTactics: []string{"TA0003", "TA0004", "TA0005"}},
		{name: "a category ATT&CK disagrees with gives ATT&CK's tactics", id: "T1609", cat: "privilege-escalation",
			wantTech: "T1609", wantTactics: []string{"TA0002"}},
		{name: "lower case id", id: "t1611", cat: "privilege-escalation", wantTech: "T1611", wantTactics: []string{"TA0004"}},
		{name: "unknown id keeps the rule's words", id: "T9999.001", tech: "Made Up", cat: "not-a-tactic",
			wantTech: "T9999", wantSub: "T9999.001", wantTNames: []string{"not-a-tactic"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := threat(tt.id, tt.tech, tt.cat)
			require.NotNil(t, th)
			assert.Equal(t, tt.wantTech, th.Technique.ID)
			if tt.wantSub != "" {
				require.NotNil(t, th.Technique.Subtechnique)
				assert.Equal(t, tt.wantSub, th.Technique.Subtechnique.ID)
			} else {
				assert.Nil(t, th.Technique.Subtechnique)
			}
			require.NotNil(t, th.Tactic)
			if tt.wantTactics != nil {
				assert.ElementsMatch(t, tt.wantTactics, th.Tactic.ID)
			}
			if tt.wantTNames != nil {
				assert.Equal(t, tt.wantTNames, th.Tactic.Name)
			}
		})
	}
	assert.Nil(t, threat("", "", ""))
}

// Every built-in rule names an ATT&CK ID the table knows, and its alerts carry only tactics that
// ATT&CK gives the technique. A rule whose category ATT&CK disagrees with is logged (its alerts
// get ATT&CK's tactics; rule.category keeps the rule's word).
func TestThreat_builtin_signatures_are_in_the_ATTACK_table(t *testing.T) {
	for _, sig := range builtin.All() {
		md, err := sig.GetMetadata()
		require.NoError(t, err)
		id := domain.PropertyString(md.Properties, "external_id")
		cat := domain.PropertyString(md.Properties, "Category")
		tech, ok := attack.LookupTechnique(id)
		if !assert.True(t, ok, "%s: %s not in ATT&CK %s", md.ID, id, attack.Version) {
			continue
		}
		var serves bool
		for _, tac := range tech.Tactics {
			serves = serves || tac.Shortname == cat
		}
		if !serves {
			t.Logf("%s: %s (%s) is not a technique of tactic %q in ATT&CK %s; its alerts get %v", md.ID, id, tech.Name, cat, attack.Version, tech.Tactics)
		}
		th := threat(id, "", cat)
		for _, tac := range th.Tactic.ID {
			found := false
			for _, want := range tech.Tactics {
				found = found || want.ID == tac
			}
			assert.True(t, found, "%s: tactic %s is not one of %s's", md.ID, tac, id)
		}
	}
}
