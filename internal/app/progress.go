package app

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// IsTerminal reports whether w is a terminal: progress and fitted tables are for people, not pipes.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// TerminalWidth is w's width in columns, or 0 when w is not a terminal.
func TerminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
}

// progress draws "what: 42% 1.2 MiB/2.9 MiB, ETA 5s" on one terminal line, at most twice a second.
type progress struct {
	w     io.Writer
	what  string
	start time.Time
	last  time.Time
	now   func() time.Time
}

func newProgress(w io.Writer, what string, now func() time.Time) *progress {
	t := now()
	return &progress{w: w, what: what, start: t, now: now}
}

// update redraws the line; done == total ends it with a newline.
func (p *progress) update(done, total int64) {
	t := p.now()
	finished := done >= total
	if !finished && t.Sub(p.last) < 500*time.Millisecond {
		return
	}
	p.last = t
	fmt.Fprintf(p.w, "\r\x1b[K%s", progressLine(p.what, done, total, t.Sub(p.start))) // \x1b[K clears the rest of the line
	if finished {
		fmt.Fprintln(p.w)
	}
}

// progressLine renders one progress line; the ETA assumes the rate so far.
func progressLine(what string, done, total int64, elapsed time.Duration) string {
	pct := 100.0
	if total > 0 {
		pct = float64(done) * 100 / float64(total)
	}
	eta := "?"
	if done > 0 && elapsed > 0 {
		left := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
		eta = left.Round(time.Second).String()
	}
	if done >= total {
		return fmt.Sprintf("%s: 100%% %s in %s", what, mib(total), elapsed.Round(100*time.Millisecond))
	}
	return fmt.Sprintf("%s: %3.0f%% %s/%s, ETA %s", what, pct, mib(done), mib(total), eta)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
