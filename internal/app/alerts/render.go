package alerts

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// alertWriter prints alerts as they arrive: a table (aligned per batch), one JSON array, or NDJSON.
type alertWriter struct {
	out     io.Writer
	format  string
	started bool // header or "[" written
	n       int
}

func newAlertWriter(out io.Writer, format string) *alertWriter {
	return &alertWriter{out: out, format: format}
}

func (w *alertWriter) write(as []domain.Alert) error {
	switch w.format {
	case FormatJSON:
		for _, a := range as {
			sep := ",\n"
			if w.n == 0 {
				sep = "[\n"
			}
			b, err := json.Marshal(a)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w.out, "%s%s", sep, b); err != nil {
				return err
			}
			w.n++
		}
		return nil
	case FormatNDJSON:
		enc := json.NewEncoder(w.out)
		for _, a := range as {
			if err := enc.Encode(a); err != nil {
				return err
			}
			w.n++
		}
		return nil
	}
	if len(as) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w.out, 0, 0, 2, ' ', 0)
	if !w.started {
		fmt.Fprintln(tw, "TIME\tSEVERITY\tRULE\tHOST\tCONTAINER\tPROCESS\tMESSAGE")
		w.started = true
	}
	for _, a := range as {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Time.Local().Format("2006-01-02 15:04:05"),
			domain.SeverityName(a.Severity), cell(a.RuleID), cell(a.Host), cell(containerCell(a)),
			cell(processCell(a)), a.Message)
		w.n++
	}
	return tw.Flush()
}

func (w *alertWriter) close() error {
	switch w.format {
	case FormatJSON:
		if w.n == 0 {
			_, err := fmt.Fprintln(w.out, "[]")
			return err
		}
		_, err := fmt.Fprintln(w.out, "\n]")
		return err
	case FormatTable, "":
		if w.n == 0 {
			_, err := fmt.Fprintln(w.out, "no alerts match")
			return err
		}
	}
	return nil
}

func cell(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func containerCell(a domain.Alert) string {
	if a.Container != "" {
		return a.Container
	}
	if len(a.ContainerID) > 12 {
		return a.ContainerID[:12]
	}
	return a.ContainerID
}

func processCell(a domain.Alert) string {
	if a.Process == "" {
		return ""
	}
	if a.PID > 0 {
		return a.Process + "(" + strconv.Itoa(a.PID) + ")"
	}
	return a.Process
}

func renderCount(out io.Writer, format string, n int64) error {
	if format == FormatTable {
		_, err := fmt.Fprintln(out, n)
		return err
	}
	return json.NewEncoder(out).Encode(map[string]int64{"count": n})
}

func renderBuckets(out io.Writer, format string, field domain.AlertField, bs []domain.Bucket) error {
	switch format {
	case FormatJSON:
		if bs == nil {
			bs = []domain.Bucket{}
		}
		return writeJSON(out, map[string]any{"by": field, "buckets": bs})
	case FormatNDJSON:
		enc := json.NewEncoder(out)
		for _, b := range bs {
			if err := enc.Encode(map[string]any{string(field): b.Key, "count": b.Count}); err != nil {
				return err
			}
		}
		return nil
	}
	if len(bs) == 0 {
		_, err := fmt.Fprintln(out, "no alerts match")
		return err
	}
	var top int64
	for _, b := range bs {
		top = max(top, b.Count)
	}
	width := max(len(strconv.FormatInt(top, 10)), len("COUNT"))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\t%*s\n", strings.ToUpper(string(field)), width, "COUNT")
	for _, b := range bs {
		fmt.Fprintf(tw, "%s\t%*d %s\n", b.Key, width, b.Count, bar(b.Count, top, 30))
	}
	return tw.Flush()
}

func renderHistogram(out io.Writer, format string, interval time.Duration, bs []domain.TimeBucket) error {
	switch format {
	case FormatJSON:
		if bs == nil {
			bs = []domain.TimeBucket{}
		}
		return writeJSON(out, map[string]any{"interval": shortDuration(interval), "buckets": bs})
	case FormatNDJSON:
		enc := json.NewEncoder(out)
		for _, b := range bs {
			if err := enc.Encode(b); err != nil {
				return err
			}
		}
		return nil
	}
	if len(bs) == 0 {
		_, err := fmt.Fprintln(out, "no alerts match")
		return err
	}
	var top, total int64
	for _, b := range bs {
		top = max(top, b.Count)
		total += b.Count
	}
	layout := "2006-01-02 15:04"
	if interval%(24*time.Hour) == 0 {
		layout = "2006-01-02"
	} else if interval < time.Minute {
		layout = "2006-01-02 15:04:05"
	}
	width := len(strconv.FormatInt(top, 10))
	for _, b := range bs {
		if _, err := fmt.Fprintf(out, "%s  %*d %s\n", b.Start.Local().Format(layout), width, b.Count, bar(b.Count, top, 50)); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(out, "%d alerts in %d buckets of %s\n", total, len(bs), shortDuration(interval))
	return err
}

// shortDuration writes whole days, hours or minutes as 1d, 6h, 15m, the way they are typed.
func shortDuration(d time.Duration) string {
	for _, u := range []struct {
		unit   time.Duration
		suffix string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}} {
		if d >= u.unit && d%u.unit == 0 {
			return strconv.FormatInt(int64(d/u.unit), 10) + u.suffix
		}
	}
	return d.String()
}

// bar draws n/top as up to width block characters, in eighths; any n > 0 shows at least one eighth.
func bar(n, top int64, width int) string {
	if n <= 0 || top <= 0 {
		return ""
	}
	eighths := int(n * int64(width) * 8 / top)
	if eighths == 0 {
		eighths = 1
	}
	partial := []string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}
	return strings.Repeat("█", eighths/8) + partial[eighths%8]
}

func writeJSON(out io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", b)
	return err
}
