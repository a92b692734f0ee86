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
	"runtime"
	"slices"
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
	// Workers is how many goroutines decode lines (default GOMAXPROCS); events keep input order.
	Workers int
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
	defs  []domain.EventDefinition
	stats Stats
}

// New returns a replay source.
func New(cfg Config, log *slog.Logger) *Source {
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = DefaultMaxLine
	}
	return &Source{cfg: cfg, log: log.With("component", "replay"), defs: domain.BaseEvents()}
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

// Run emits the recorded events that the selection needs, in input order, then returns nil at end
// of input. Lines are read in batches and decoded by Workers goroutines; emit is called from the
// goroutine that called Run.
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
	err := run.lines(ctx, bufio.NewReaderSize(in, readBuffer), sel, emit)
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

// readBuffer is the size of the reads from the input.
const readBuffer = 1 << 20

// Batches: a reader goroutine cuts the input into batches of lines, Workers goroutines decode
// them, and Run's goroutine takes them back in input order. A batch is about batchBytes of lines.
const (
	batchLines = 256
	batchBytes = 256 << 10
)

// batch is consecutive lines of the input and, once done is closed, their events.
type batch struct {
	data  []byte         // the lines, back to back, without their newlines
	ends  []int          // where each line ends in data; tooLongLine marks a line over MaxLine
	evs   []*trace.Event // the events the selection wants
	names []string       // the names of the events it does not want
	errs  []error        // why a line is not an event
	err   error          // a read error that ended the input after these lines
	done  chan struct{}
}

const tooLongLine = -1

func (r *replayRun) lines(ctx context.Context, in *bufio.Reader, sel domain.Selection, emit func(*trace.Event)) error {
	workers := r.cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Returning early (--strict, ctx) does not wait for the reader: it may be blocked reading
	// stdin. It stops at its next send; the workers stop when it closes work.
	readCtx, stop := context.WithCancel(ctx)
	defer stop()
	work := make(chan *batch, workers)
	inOrder := make(chan *batch, 2*workers+1)
	// Every batch comes back to free once Run has taken its events: the reader makes at most
	// cap(free) of them, then reuses them, so the memory of a replay is bounded and allocated once.
	free := make(chan *batch, 2*workers+3)
	go r.read(readCtx, in, work, inOrder, free)
	want := wantedNames(sel)
	for range workers {
		go func() {
			dec := NewDecoder(r.defs)
			for b := range work {
				decodeBatch(dec, b, want)
			}
		}()
	}
	line := 0
	for b := range inOrder {
		<-b.done
		for i, end := range b.ends {
			line++
			if line%1024 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			if end == tooLongLine {
				if err := r.skipTooLong(ctx, line); err != nil {
					return err
				}
				continue
			}
			if err := r.event(ctx, b.evs[i], b.names[i], b.errs[i], line, sel, emit); err != nil {
				return err
			}
		}
		if b.err != nil {
			if errors.Is(b.err, ErrBinaryInput) {
				return fmt.Errorf("replay %s: line %d: %w", r.name, line+1, b.err)
			}
			return fmt.Errorf("replay %s after line %d: %w", r.name, line, b.err)
		}
		clear(b.evs) // the events belong to the pipeline now
		free <- b    // never blocks: there are at most cap(free) batches
	}
	return ctx.Err()
}

// wantedNames says which events the source emits: the base events the selection needs or emits.
func wantedNames(sel domain.Selection) func(string) bool {
	wanted := map[string]bool{}
	for _, names := range []map[string]bool{sel.Need, sel.Emit} {
		for name, on := range names {
			if on && !sel.Signatures[name] {
				wanted[name] = true
			}
		}
	}
	return func(name string) bool { return wanted[name] }
}

// read cuts the input into batches and hands each to the workers and, in order, to Run.
func (r *replayRun) read(ctx context.Context, in *bufio.Reader, work, inOrder chan<- *batch, free <-chan *batch) {
	defer close(inOrder)
	defer close(work)
	made := 0
	for {
		var b *batch
		select {
		case b = <-free:
		default:
			if made < cap(free) {
				made++
				b = &batch{data: make([]byte, 0, batchBytes+batchBytes/4)}
			} else {
				select {
				case b = <-free:
				case <-ctx.Done():
					return
				}
			}
		}
		b.data, b.ends, b.err = b.data[:0], b.ends[:0], nil
		b.done = make(chan struct{})
		last := false
		for len(b.ends) < batchLines && len(b.data) < batchBytes {
			start := len(b.data)
			data, tooLong, err := r.readLine(in, b.data)
			b.data = data
			if err == io.EOF && len(data) == start && !tooLong {
				last = true
				break
			}
			if err != nil && err != io.EOF {
				b.data, b.err, last = b.data[:start], err, true
				break
			}
			if tooLong {
				b.ends = append(b.ends, tooLongLine)
			} else {
				b.ends = append(b.ends, len(b.data))
			}
			if err == io.EOF {
				last = true
				break
			}
			if in.Buffered() == 0 {
				break // the next read may wait (a live pipe): hand over what is here first
			}
		}
		select {
		case work <- b:
		case <-ctx.Done():
			return
		}
		select {
		case inOrder <- b:
		case <-ctx.Done():
			return
		}
		if last || ctx.Err() != nil {
			return
		}
	}
}

// decodeBatch decodes every line of b, then closes b.done. Events want does not want are only
// checked (a malformed one is reported all the same) and named.
func decodeBatch(dec *Decoder, b *batch, want func(string) bool) {
	n := len(b.ends)
	b.evs, b.errs = slices.Grow(b.evs[:0], n)[:n], slices.Grow(b.errs[:0], n)[:n]
	b.names = slices.Grow(b.names[:0], n)[:n]
	start := 0
	var ev trace.Event
	for i, end := range b.ends {
		b.evs[i], b.names[i], b.errs[i] = nil, "", nil
		if end == tooLongLine {
			continue
		}
		raw := b.data[start:end]
		start = end
		if len(raw) == 0 || isBlank(raw) {
			continue
		}
		wanted, err := dec.decodeWanted(raw, &ev, want)
		switch {
		case err != nil:
			b.errs[i] = err
		case ev.EventName == "":
			b.errs[i] = errNoName
		case wanted:
			b.evs[i] = new(trace.Event)
			*b.evs[i] = ev
		default:
			b.names[i] = ev.EventName
		}
	}
	close(b.done)
}

var errNoName = errors.New("field eventName is missing or empty")

// readLine appends the next line to dst without its newline, holding at most MaxLine bytes of
// it: a longer line is consumed to its newline, left out of dst and reported as tooLong. It fails
// with ErrBinaryInput when the skipped part of an over-long line holds a NUL byte.
func (r *replayRun) readLine(in *bufio.Reader, dst []byte) (out []byte, tooLong bool, err error) {
	start := len(dst)
	out = dst
	for {
		chunk, err := in.ReadSlice('\n')
		if !tooLong {
			if len(out)-start+len(chunk) > r.cfg.MaxLine+1 { // +1: the newline
				tooLong = true
				out = out[:start]
			} else {
				out = append(out, chunk...)
			}
		}
		if tooLong && bytes.IndexByte(chunk, 0) >= 0 {
			return out[:start], true, ErrBinaryInput
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if tooLong {
			return out[:start], true, err
		}
		return bytes.TrimSuffix(out, []byte{'\n'}), false, err
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

func (r *replayRun) event(ctx context.Context, ev *trace.Event, name string, bad error, line int, sel domain.Selection, emit func(*trace.Event)) error {
	if ev == nil && name == "" && bad == nil {
		return nil // a blank line
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
	if ev != nil {
		emit(ev) // the workers kept only the events the selection wants
		return nil
	}
	// Recorded signature events are outputs of an earlier run, not inputs: the engine
	// re-detects them from the base events.
	if !sel.Signatures[name] {
		r.checkKnown(ctx, name, line)
	}
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
