package elasticsearch

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/internal/attack"
)

const attackURL = "https://attack.mitre.org/"

// threat builds threat.* from a rule's ATT&CK ID (external_id), technique name and category
// (Tracee's Category property: a tactic shortname such as defense-evasion). Names and tactic IDs
// come from the ATT&CK table; the rule's own text is the fallback for an ID the table lacks.
// A sub-technique T1574.006 becomes technique T1574 + subtechnique T1574.006. The tactic is the
// rule's category when the technique serves that tactic in ATT&CK, else every tactic ATT&CK gives
// the technique (a rule's category that ATT&CK disagrees with stays in rule.category).
func threat(id, name, category string) *DocThreat {
	id = strings.ToUpper(strings.TrimSpace(id))
	if id == "" && name == "" && category == "" {
		return nil
	}
	t := &DocThreat{Framework: "MITRE ATT&CK"}
	var tactics []attack.Tactic
	if id != "" || name != "" {
		t.Technique = &DocTechnique{ID: attack.Parent(id), Name: name}
		if tech, ok := attack.LookupTechnique(id); ok {
			tactics = tech.Tactics
			if tech.IsSub() {
				t.Technique.Subtechnique = &DocNameID{ID: tech.ID, Name: tech.Name,
					Reference: attackURL + "techniques/" + strings.ReplaceAll(tech.ID, ".", "/") + "/"}
				t.Technique.Name = ""
				if parent, ok := attack.LookupTechnique(attack.Parent(id)); ok {
					t.Technique.Name = parent.Name
				}
			} else {
				t.Technique.Name = tech.Name
			}
			t.Technique.Reference = attackURL + "techniques/" + attack.Parent(id) + "/"
		} else if strings.Contains(id, ".") {
			t.Technique.Name = ""
			t.Technique.Subtechnique = &DocNameID{ID: id, Name: name}
		}
	}
	if tac, ok := attack.LookupTactic(category); ok && category != "" && (len(tactics) == 0 || serves(tactics, tac)) {
		tactics = []attack.Tactic{tac}
	} else if category != "" && len(tactics) == 0 {
		t.Tactic = &DocTactic{Name: []string{category}}
	}
	if len(tactics) > 0 {
		t.Tactic = &DocTactic{}
		for _, tac := range tactics {
			t.Tactic.ID = append(t.Tactic.ID, tac.ID)
			t.Tactic.Name = append(t.Tactic.Name, tac.Name)
			t.Tactic.Reference = append(t.Tactic.Reference, attackURL+"tactics/"+tac.ID+"/")
		}
	}
	return t
}

func serves(tactics []attack.Tactic, t attack.Tactic) bool {
	for _, x := range tactics {
		if x.ID == t.ID {
			return true
		}
	}
	return false
}
