// Package attack is the MITRE ATT&CK Enterprise table: tactics, techniques and sub-techniques by
// ID, generated from MITRE's data (enterprise_gen.go; regenerate with scripts/attack-table.sh).
package attack

import "strings"

// Tactic is one ATT&CK tactic: TA0005, defense-evasion, Defense Evasion.
type Tactic struct {
	ID        string
	Shortname string // the kill-chain phase name techniques and Tracee's Category property use
	Name      string
}

type technique struct {
	name    string
	tactics string // comma-separated shortnames
}

// Technique is a technique or sub-technique.
type Technique struct {
	ID      string // T1574 or T1574.006
	Name    string // its own name: "Dynamic Linker Hijacking" for T1574.006
	Tactics []Tactic
}

// IsSub says whether t is a sub-technique (T1574.006).
func (t Technique) IsSub() bool { return strings.Contains(t.ID, ".") }

// Parent is the ID of the technique a sub-technique belongs to (T1574 for T1574.006), else the ID.
func Parent(id string) string {
	p, _, _ := strings.Cut(id, ".")
	return p
}

// LookupTechnique finds a technique or sub-technique by ID (case-insensitive).
func LookupTechnique(id string) (Technique, bool) {
	id = strings.ToUpper(strings.TrimSpace(id))
	t, ok := techniques[id]
	if !ok {
		return Technique{}, false
	}
	out := Technique{ID: id, Name: t.name}
	for _, s := range strings.Split(t.tactics, ",") {
		if tac, ok := LookupTactic(s); ok {
			out.Tactics = append(out.Tactics, tac)
		}
	}
	return out, true
}

// LookupTactic finds a tactic by ID (TA0005), shortname (defense-evasion) or name (Defense Evasion).
func LookupTactic(s string) (Tactic, bool) {
	s = strings.TrimSpace(s)
	for _, t := range tactics {
		if strings.EqualFold(s, t.ID) || strings.EqualFold(s, t.Shortname) || strings.EqualFold(s, t.Name) {
			return t, true
		}
	}
	return Tactic{}, false
}

// Tactics lists the tactics in the matrix's order.
func Tactics() []Tactic { return append([]Tactic(nil), tactics...) }
