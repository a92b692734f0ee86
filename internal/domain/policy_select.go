package domain

import (
	"errors"
	"fmt"
)

// ErrEventsWithPolicies is returned when -e/--events (or --scope) is given together with
// -p/--policy: as in Tracee, the two ways of choosing events do not mix.
var ErrEventsWithPolicies = errors.New("--events/--scope cannot be used together with --policy: " +
	"add the events as rules of a policy (spec.rules: - event: NAME) or drop --policy")

// SelectWithPolicies resolves what the policies select: the events their rules name (Emit), the
// signatures that must run (only those some policy names, directly or through another signature)
// and the base events the source must produce for both (Need). With no policies it is Select's
// default selection, every signature.
func SelectWithPolicies(cat *Catalog, policies []Policy) (Selection, error) {
	if len(policies) == 0 {
		return Select(cat, nil)
	}
	set, err := NewPolicySet(cat, policies)
	if err != nil {
		return Selection{}, err
	}
	return set.Selection(), nil
}

// CheckEventsWithPolicies refuses -e/--scope given together with policies.
func CheckEventsWithPolicies(events, scopes []string, policies int) error {
	if policies > 0 && (len(events) > 0 || len(scopes) > 0) {
		return ErrEventsWithPolicies
	}
	return nil
}

// CheckReload says whether next can replace running without restarting the source and the
// engine: the events the source produces and the signatures that run are fixed at start, so next
// may only need a subset of them. Emitted events, scopes and filters may change freely.
func CheckReload(running, next *PolicySet) error {
	have, want := running.Selection(), next.Selection()
	for name := range want.Need {
		if !have.Need[name] {
			return &PolicyError{Msg: fmt.Sprintf("the new policies need event %q, which the running source does not produce", name),
				Fix: "restart the agent to apply them"}
		}
	}
	for name := range want.Signatures {
		if !have.Signatures[name] {
			return &PolicyError{Msg: fmt.Sprintf("the new policies need signature event %q, whose signature is not running", name),
				Fix: "restart the agent to apply them"}
		}
	}
	return nil
}
