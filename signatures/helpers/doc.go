// Package helpers holds what built-in signatures need beyond the published Tracee types module
// (github.com/aquasecurity/tracee/types). Arguments are read with the module's trace.ArgVal (the
// built-ins' stringArg and intArg give the results of GetStringArgumentByName and
// GetIntArgumentByName without their copies of the event) and getters; this package keeps only
// what the module lacks, under the names Tracee v0.24.1's signatures call from
// its common/parsers and common/elf packages, which are not part of the types module:
//
//   - predicates on argument values: IsFileWrite, IsFileRead, IsMemoryPath, IsElf;
//   - socket address helpers for the map GetRawAddrArgumentByName returns: IsInternetFamily,
//     IsUnixFamily, GetIPFromRawAddr, GetPortFromRawAddr, GetPathFromRawAddr (and
//     GetFamilyFromRawAddr, which they share);
//   - TraceEvent, which unwraps a protocol.Event payload without copying the trace.Event.
package helpers
