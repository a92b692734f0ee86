package domain

import (
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/prefilter"
)

// The kernel prefilters' interests are declared in the public package types/prefilter, so that
// signature plugins built out of this tree can declare them too; these names keep the core's.
type (
	OpenInterest    = prefilter.OpenInterest
	OpenFacts       = prefilter.OpenFacts
	OpenInterested  = prefilter.OpenInterested
	MagicInterest   = prefilter.MagicInterest
	MagicFacts      = prefilter.MagicFacts
	MagicInterested = prefilter.MagicInterested
)

// The longest name and magic prefix the kernel compares whole (see prefilter).
const (
	OpenNameMax    = prefilter.OpenNameMax
	MagicPrefixMax = prefilter.MagicPrefixMax
)

// OpenInterestOf is the union of what the signatures the selection runs declare about
// security_file_open. ok is false, and every open must be sent, when the event is emitted for
// itself (a policy rule or -e names it) or some signature selecting it declares nothing.
func OpenInterestOf(loaded []LoadedSignature, sel Selection) (interest OpenInterest, ok bool) {
	return interestOf(loaded, sel, "security_file_open", func(s detect.Signature) (OpenInterest, bool) {
		if oi, isOI := s.(OpenInterested); isOI {
			return oi.OpenInterest()
		}
		return OpenInterest{}, false
	})
}

// MagicInterestOf is the union of what the signatures the selection runs declare about
// magic_write. ok is false, and every magic_write must be sent, when the event is emitted for
// itself (a policy rule or -e names it) or some signature selecting it declares nothing.
func MagicInterestOf(loaded []LoadedSignature, sel Selection) (interest MagicInterest, ok bool) {
	return interestOf(loaded, sel, "magic_write", func(s detect.Signature) (MagicInterest, bool) {
		if mi, isMI := s.(MagicInterested); isMI {
			return mi.MagicInterest()
		}
		return MagicInterest{}, false
	})
}

// interestOf is the union of the interests in event that the signatures the selection runs
// declare (declared reads one signature's). ok is false when the event is emitted for itself or
// a signature selecting it declares nothing: the kernel must then send every such event.
func interestOf[I interface{ Union(I) I }](loaded []LoadedSignature, sel Selection, event string,
	declared func(detect.Signature) (I, bool)) (interest I, ok bool) {
	var none I
	if sel.Emit[event] {
		return none, false
	}
	for _, ls := range loaded {
		if !sel.Signatures[ls.Info.Metadata.EventName] || !selectsEvent(ls.Info.Selectors, event) {
			continue
		}
		d, ok := declared(ls.Signature)
		if !ok {
			return none, false
		}
		interest = interest.Union(d)
	}
	return interest, true
}

func selectsEvent(sel []detect.SignatureEventSelector, event string) bool {
	for _, s := range sel {
		if s.Name == event || s.Name == "*" {
			return true
		}
	}
	return false
}
