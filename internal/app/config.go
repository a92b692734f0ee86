package app

import "io"

// Config is everything the agent, list and alerts are told: cmd/tracee maps flags and the
// configuration file onto it and holds no other logic.
type Config struct {
	SignatureDirs []string // --signatures-dir; empty: the default directory
	AllowUnsafe   bool     // --allow-unsafe-plugins
	LogLevel      string   // debug, info, warn, error
	Events        []string // -e/--events values, as typed
	Scopes        []string // --scope values
	Policies      []string // -p/--policy paths
	Outputs       []string // -o/--output values, as typed
	Server        []string // --server values
	Replay        string   // --replay FILE or -; empty: the live eBPF source
	Strict        bool     // --strict
	AlertsDB      string   // --alerts-db
	// RingBufferBytes sizes the kernel-to-agent ring buffer (rounded up to a power of two).
	RingBufferBytes int
	// FindingRate is how many findings per second a signature may report for one process or
	// container before the rest are summarised (0: the default, negative: no limit).
	FindingRate int
	// Progress, when a terminal, shows the progress of long work (a replay of a file) with an ETA.
	Progress io.Writer
	// Tuning is what --buffers, --stores, --enrichment and --capabilities set (ParseTuning).
	Tuning Tuning
}

// Streams are the process's standard streams.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}
