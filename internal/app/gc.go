package app

import "runtime/debug"

// replayGCPercent is the garbage collector's target for a replay. A replay is a batch job whose
// live heap is a few MB (batches of lines, the intern tables, the process tree), so at Go's
// default of 100 it collects every few MB allocated: at one core a tenth of its CPU went to the
// collector. At 400 it collects a quarter as often for a larger heap (see docs/benchmarks/replay.md).
const replayGCPercent = 400

// TuneGCForReplay sets replayGCPercent unless the GOGC environment variable chose a target, and
// returns what puts the previous target back. Run calls it for --replay, as does
// BenchmarkAgent_Replay.
func TuneGCForReplay(getenv func(string) string) (restore func()) {
	if getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(replayGCPercent)
	return func() { debug.SetGCPercent(old) }
}
