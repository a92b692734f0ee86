// Package replay is an event source that reads Tracee-format JSON events, one per line, from a file
// or stdin: what `tracee --output json` writes (ours or Tracee's).
package replay

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/lograte"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// DefaultMaxLine is the longest line read as an event; a longer one is skipped.
const DefaultMaxLine = 16 << 20

// maxUnknownNames bounds the distinct unknown event names remembered for reporting.
const maxUnknownNames = 1024

// Config names the input ("-" is Stdin) and whether a malformed line is fatal.
type Config struct {
	Path   string
	Strict bool
	Stdin  io.Reader
	// MaxLine is the longest line read as an event (default DefaultMaxLine). A longer line is
	// skipped up to the next newline in bounded memory and reported.
	MaxLine int
	// Catalog, when set, tells unknown event names (counted and reported with the nearest name)
	// from known events the selection does not need.
	Catalog *domain.Catalog
	// Progress, when set, is told how many bytes of a file input were read (about every MiB).
	Progress func(done, total int64)
}

// Stats count the lines a replay did not turn into events.
type Stats struct {
	Malformed    uint64 // not JSON, or no event name
	TooLong      uint64 // over MaxLine, skipped
	UnknownNames uint64 // events whose name no catalog entry has
}

// Source replays recorded events.
type Source struct {
	cfg   Config
	log   *slog.Logger
	dec   *Decoder
	stats Stats
}

// New returns a replay source.
func New(cfg Config, log *slog.Logger) *Source {
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = DefaultMaxLine
	}
	return &Source{cfg: cfg, log: log.With("component", "replay"), dec: NewDecoder(domain.BaseEvents())}
}

// Stats returns the counters of the last Run; read them after Run returned.
func (s *Source) Stats() Stats { return s.stats }

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

// ErrBinaryInput ends a replay whose input holds NUL bytes in an over-long line (/dev/zero, a
// disk image): no JSON line can contain one, and skipping to a newline may never end.
var ErrBinaryInput = errors.New("binary data (NUL bytes), not JSON lines; replay stopped")

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
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && s.cfg.Progress != nil {
			in = &progressReader{r: f, total: fi.Size(), report: s.cfg.Progress}
		}
	}
	s.stats = Stats{}
	run := &replayRun{Source: s, name: name, unknown: map[string]uint64{},
		malformed: lograte.New(s.log, slog.LevelError, 0)}
	err := run.lines(ctx, bufio.NewReaderSize(in, 64<<10), sel, emit)
	run.summary(ctx)
	return err
}

// replayRun holds one Run's reporting state.
type replayRun struct {
	*Source
	name      string
	malformed *lograte.Limiter
	unknown   map[string]uint64
}

func (r *replayRun) lines(ctx context.Context, in *bufio.Reader, sel domain.Selection, emit func(*trace.Event)) error {
	var buf []byte
	line := 0
	for {
		raw, tooLong, err := r.readLine(in, &buf)
		if err == io.EOF && len(raw) == 0 && !tooLong {
			return nil
		}
		if err != nil && err != io.EOF {
			if errors.Is(err, ErrBinaryInput) {
				return fmt.Errorf("replay %s: line %d: %w", r.name, line+1, err)
			}
			return fmt.Errorf("replay %s after line %d: %w", r.name, line, err)
		}
		line++
		if line%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if tooLong {
			if err := r.skipTooLong(ctx, line); err != nil {
				return err
			}
		} else if err := r.event(ctx, raw, line, sel, emit); err != nil {
			return err
		}
		if err == io.EOF {
			return nil
		}
	}
}

// readLine returns the next line without its newline, holding at most MaxLine bytes: a longer line
// is consumed to its newline and reported as tooLong. It fails with ErrBinaryInput when the skipped
// part of an over-long line holds a NUL byte.
func (r *replayRun) readLine(in *bufio.Reader, buf *[]byte) (raw []byte, tooLong bool, err error) {
	*buf = (*buf)[:0]
	for {
		chunk, err := in.ReadSlice('\n')
		if !tooLong {
			if len(*buf)+len(chunk) > r.cfg.MaxLine+1 { // +1: the newline
				tooLong = true
				*buf = (*buf)[:0]
			} else {
				*buf = append(*buf, chunk...)
			}
		}
		if tooLong && bytes.IndexByte(chunk, 0) >= 0 {
			return nil, true, ErrBinaryInput
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if tooLong {
			return nil, true, err
		}
		return bytes.TrimSuffix(*buf, []byte{'\n'}), false, err
	}
}

func (r *replayRun) skipTooLong(ctx context.Context, line int) error {
	r.stats.TooLong++
	lerr := &LineError{Path: r.name, Line: line, Err: fmt.Errorf("line longer than %d bytes", r.cfg.MaxLine)}
	if r.cfg.Strict {
		return lerr
	}
	if r.stats.TooLong == 1 {
		r.log.ErrorContext(ctx, lerr.Error()+" (skipped to the next line; later ones are counted)")
	}
	return nil
}

func (r *replayRun) event(ctx context.Context, raw []byte, line int, sel domain.Selection, emit func(*trace.Event)) error {
	if len(raw) == 0 || isBlank(raw) {
		return nil
	}
	ev := new(trace.Event)
	var bad error
	if err := r.dec.Decode(raw, ev); err != nil {
		bad = err
	} else if ev.EventName == "" {
		bad = fmt.Errorf("field eventName is missing or empty")
	}
	if bad != nil {
		lerr := &LineError{Path: r.name, Line: line, Err: bad}
		if r.cfg.Strict {
			return lerr
		}
		r.stats.Malformed++
		r.malformed.Log(ctx, lerr.Error()+" (line skipped; --strict makes this fatal)")
		return nil
	}
	// Recorded signature events are outputs of an earlier run, not inputs: the engine
	// re-detects them from the base events.
	if sel.Signatures[ev.EventName] {
		return nil
	}
	if !sel.Need[ev.EventName] && !sel.Emit[ev.EventName] {
		r.checkKnown(ctx, ev.EventName, line)
		return nil
	}
	emit(ev)
	return nil
}

// checkKnown counts an event name the catalog does not have and reports each such name once.
func (r *replayRun) checkKnown(ctx context.Context, name string, line int) {
	if r.cfg.Catalog == nil {
		return
	}
	if _, ok := r.cfg.Catalog.Lookup(name); ok {
		return
	}
	r.stats.UnknownNames++
	if _, seen := r.unknown[name]; seen {
		r.unknown[name]++
		return
	}
	if len(r.unknown) >= maxUnknownNames {
		return
	}
	r.unknown[name] = 1
	msg := fmt.Sprintf("%s:%d: unknown event %q skipped", r.name, line, name)
	if s := domain.Suggest(name, r.cfg.Catalog.Names()); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, ", ") + "?"
	}
	r.log.WarnContext(ctx, msg+" (reported once per name)")
}

// summary reports, once, what was skipped.
func (r *replayRun) summary(ctx context.Context) {
	st := r.stats
	if st.Malformed+st.TooLong+st.UnknownNames == 0 {
		return
	}
	r.log.WarnContext(ctx, "replay skipped lines", "input", r.name, "malformed", st.Malformed,
		"too_long", st.TooLong, "unknown_events", st.UnknownNames, "unknown_names", len(r.unknown))
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
