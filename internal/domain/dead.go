package domain

import (
	"fmt"
	"sort"
	"strings"
)

// DeadSelection is an event a signature selects that the agent can never give it: an unknown
// name (a typo, or an event of another Tracee build) or an event the source cannot produce.
type DeadSelection struct {
	Signature   string // the signature's event name
	ID          string // the signature's ID
	Origin      string // where the signature came from
	Event       string
	Reason      string
	Suggestions []string // nearest valid event names, for an unknown one
}

func (d DeadSelection) String() string {
	msg := fmt.Sprintf("signature %s (%s, %s) selects %q, which never reaches it: %s", d.Signature, d.ID, d.Origin, d.Event, d.Reason)
	if len(d.Suggestions) > 0 {
		msg += "; did you mean " + strings.Join(d.Suggestions, ", ") + "?"
	}
	return msg
}

// DeadSelections lists, for every signature event of cat, the selected events cat does not know or
// marks unavailable. A signature whose every selected event is dead can never fire.
func DeadSelections(cat *Catalog) []DeadSelection {
	var out []DeadSelection
	for _, d := range cat.All() {
		if d.Kind != KindSignature || d.Signature == nil {
			continue
		}
		for _, dep := range d.Dependencies {
			base := DeadSelection{Signature: d.Name, ID: d.Signature.Metadata.ID, Origin: d.Signature.Origin, Event: dep}
			target, ok := cat.Lookup(dep)
			switch {
			case !ok:
				base.Reason = "no such event"
				base.Suggestions = Suggest(dep, cat.Names())
			case target.Unavailable != "":
				base.Reason = target.Unavailable
			default:
				continue
			}
			out = append(out, base)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Signature < out[j].Signature })
	return out
}
