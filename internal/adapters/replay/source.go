// Package replay is an event source that reads Tracee-format JSON events, one per line, from a file
// or stdin: what `tracee --output json` writes (ours or Tracee's).
package replay

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Config names the input ("-" is Stdin) and whether a malformed line is fatal.
type Config struct {
	Path   string
	Strict bool
	Stdin  io.Reader
}

// Source replays recorded events.
type Source struct {
	cfg Config
	log *slog.Logger
	dec *Decoder
	// Skipped counts malformed lines that were skipped.
	Skipped int
}

// New returns a replay source.
func New(cfg Config, log *slog.Logger) *Source {
	return &Source{cfg: cfg, log: log.With("component", "replay"), dec: NewDecoder(domain.BaseEvents())}
}

// LineError is a malformed input line.
type LineError struct {
	Path string
	Line int
	Err  error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: not a Tracee JSON event: %v", e.Path, e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// Run emits the recorded events that the selection needs, then returns nil at end of input.
func (s *Source) Run(ctx context.Context, sel domain.Selection, emit func(*trace.Event)) error {
	in, name := s.cfg.Stdin, "stdin"
	if s.cfg.Path != "-" {
		f, err := os.Open(s.cfg.Path)
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		defer f.Close()
		in, name = f, s.cfg.Path
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		if line%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		raw := sc.Bytes()
		if len(raw) == 0 || isBlank(raw) {
			continue
		}
		ev := new(trace.Event)
		if err := s.dec.Decode(raw, ev); err != nil {
			lerr := &LineError{Path: name, Line: line, Err: err}
			if s.cfg.Strict {
				return lerr
			}
			s.Skipped++
			s.log.Error(lerr.Error() + " (line skipped; --strict makes this fatal)")
			continue
		}
		if ev.EventName == "" {
			lerr := &LineError{Path: name, Line: line, Err: fmt.Errorf("field eventName is missing or empty")}
			if s.cfg.Strict {
				return lerr
			}
			s.Skipped++
			s.log.Error(lerr.Error() + " (line skipped; --strict makes this fatal)")
			continue
		}
		// Recorded signature events are outputs of an earlier run, not inputs: the engine
		// re-detects them from the base events.
		if sel.Signatures[ev.EventName] || (!sel.Need[ev.EventName] && !sel.Emit[ev.EventName]) {
			continue
		}
		emit(ev)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("replay %s after line %d: %w", name, line, err)
	}
	return nil
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
