// Package prefilter lets a signature say which events it can match, in terms the kernel can test,
// so that the agent drops every other event in the kernel, before it is built and sent.
//
// It is this agent's addition to Tracee's signature API (not a package of Tracee's published
// types module), and it imports only the standard library, so that a signature plugin built out of
// this tree can use it. A signature that selects security_file_open may implement OpenInterested;
// one that selects magic_write may implement MagicInterested:
//
//	func (s *mySig) OpenInterest() (prefilter.OpenInterest, bool) {
//		return prefilter.OpenInterest{Names: []string{"shadow"}}, true
//	}
//
// What a signature gains: while every signature the agent runs that selects the event declares an
// interest (and no policy or -e asks for the event itself), the kernel sends only the events in the
// union of the interests; the others cost no event, no path walk, no ring-buffer record.
// Signatures without the methods, Tracee's own among them, keep working unchanged: they get every
// event, and the filter stays off while one of them selects the event.
//
// Both interests must be supersets of what the signature matches: an event the interest drops never
// reaches the signature. Admits is the kernel's rule, so a signature's tests can check each case that
// fires against it.
package prefilter
