package ports

import "time"

// AgentMonitor reads a running agent's counters and health. The metrics and health endpoints and
// the SIGUSR1 stats view all read through it, so they see the same numbers.
type AgentMonitor interface {
	// Stats reads every counter; safe from any goroutine while the agent runs.
	Stats() AgentStats
	// Health returns nil when the source is attached and the pipeline moves, else the reason.
	Health(now time.Time) error
}

// AgentStats is one read of the agent's counters. Counters only grow; gauges say "now".
type AgentStats struct {
	Events       uint64            // events the source handed to the agent
	EventsByName map[string]uint64 // Events, by event name
	Filtered     uint64            // events neither printed nor given to a signature (policies)

	Engine     EngineStats
	Findings   []FindingCount // signature findings, by signature and severity
	Suppressed uint64         // findings a finding policy suppressed
	// StormSuppressed are findings over the per-process (or container) rate of their signature,
	// summarised into the next one that goes out.
	StormSuppressed uint64
	// PolicyErrors counts findings whose finding policy failed (the finding is kept).
	PolicyErrors uint64

	Outputs []OutputStats
	Source  *SourceStats // nil when the source reports no kernel counters (replay)

	Reloads []ReloadCount // SIGHUP reloads, by part and result

	// DispatchLatency is the time the signatures took per event, sampled (1 event in DispatchSampleEvery).
	DispatchLatency Histogram
}

// EngineStats are the signature engine's counters.
type EngineStats struct {
	Signatures int    // signatures running
	Disabled   int    // signatures left out because their Init failed
	Events     uint64 // events offered to the signatures
	Matched    uint64 // events at least one signature selected
	Findings   uint64
	Errors     uint64 // OnEvent errors
	Panics     uint64 // recovered OnEvent/OnSignal panics
	Abandoned  uint64 // signature calls the watchdog gave up on (the signature was disabled)
}

// FindingCount is how many findings one signature reported at one severity.
type FindingCount struct {
	SignatureID   string
	SignatureName string
	Severity      string // the signature's Severity property as text, "" when it has none
	Count         uint64
}

// OutputStats are one output's counters. Spool is set for outputs that spool to disk.
type OutputStats struct {
	Name string
	// Failed counts events the output could not write: those it rejected and, once it is Closed
	// (after a fatal failure such as a broken pipe), every later one.
	Written, Dropped, Failed uint64
	Closed                   bool
	QueueDepth, QueueSize    int
	Spool                    *SpoolStats
}

// SpoolStats are an output's retry and disk spool counters (Elasticsearch).
type SpoolStats struct {
	Indexed, Spooled, Retried, Evicted, DeadLettered uint64
	Bytes                                            int64
	Down                                             bool // the backend is unreachable; alerts go to the spool
}

// SourceStats are the kernel source's counters.
type SourceStats struct {
	Records      uint64   // records read from the kernel ring
	DecodeErrors uint64   // records that could not be decoded
	Lost         uint64   // records the kernel dropped because the ring was full
	LostPerCPU   []uint64 // Lost, by CPU
}

// ReloadCount is how many reloads of one part ended with one result ("ok" or "failed").
type ReloadCount struct {
	Part, Result string
	Count        uint64
}

// Histogram is a cumulative histogram: Counts[i] observations were <= Bounds[i]; Count includes
// those above the last bound.
type Histogram struct {
	Bounds []time.Duration
	Counts []uint64
	Count  uint64
	Sum    time.Duration
}
