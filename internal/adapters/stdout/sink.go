// Package stdout writes events as a human table or as Tracee-format JSON lines to stdout or a file.
package stdout

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/template"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Format is an output format.
type Format string

// The formats.
const (
	FormatTable      Format = "table"
	FormatJSON       Format = "json"
	FormatGoTemplate Format = "gotemplate" // Config.Template names the template file
)

// Config chooses the format and destination ("" or "-" is stdout).
type Config struct {
	Format   Format
	Path     string
	Template string // the template file, for FormatGoTemplate
}

// ParseSpec parses an --output value: "table", "json", "table:FILE" or "json:FILE".
func ParseSpec(spec string) (Config, error) {
	name, path, _ := strings.Cut(spec, ":")
	switch Format(name) {
	case FormatTable, FormatJSON:
		return Config{Format: Format(name), Path: path}, nil
	}
	return Config{}, fmt.Errorf("unknown output format %q; use table, json, table:FILE or json:FILE", name)
}

// Sink writes events to a buffered writer; Flush is called by the outputs when the queue drains.
type Sink struct {
	format Format
	tmpl   *template.Template
	w      *bufio.Writer
	file   *os.File // nil for stdout
	header bool
}

// New opens the destination (files are created or appended to with mode 0600).
func New(cfg Config, stdout io.Writer) (*Sink, error) {
	s := &Sink{format: cfg.Format}
	if cfg.Format == FormatGoTemplate {
		t, err := template.ParseFiles(cfg.Template)
		if err != nil {
			return nil, fmt.Errorf("gotemplate %s: %w; fix the template (Go text/template over the event's fields)", cfg.Template, err)
		}
		s.tmpl = t
	}
	dst := stdout
	if cfg.Path != "" && cfg.Path != "-" {
		f, err := openOutputFile(cfg.Path, os.Geteuid())
		if err != nil {
			return nil, err
		}
		s.file, dst = f, f
	}
	s.w = bufio.NewWriterSize(dst, 64<<10)
	return s, nil
}

// Write formats one event. An event that does not encode is rejected alone (domain.ErrEventRejected);
// a write error (broken pipe, full disk) is returned as is: the output is broken.
func (s *Sink) Write(_ context.Context, ev *trace.Event) error {
	if s.format == FormatJSON {
		b, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("%w: %v", domain.ErrEventRejected, err)
		}
		if _, err := s.w.Write(b); err != nil {
			return err
		}
		return s.w.WriteByte('\n')
	}
	if s.tmpl != nil {
		if err := s.tmpl.Execute(s.w, ev); err != nil {
			return fmt.Errorf("%w: template: %v", domain.ErrEventRejected, err)
		}
		return nil
	}
	if !s.header {
		s.header = true
		fmt.Fprintf(s.w, "%-15s %-6s %-16s %-7s %-7s %-6s %-28s %s\n", "TIME", "UID", "COMM", "PID", "TID", "RET", "EVENT", "ARGS")
	}
	_, err := s.w.WriteString(TableLine(ev))
	return err
}

// TableLine renders one event as a table row; signature events are marked with their ID and severity.
func TableLine(ev *trace.Event) string {
	var b strings.Builder
	ts := time.Unix(0, int64(ev.Timestamp)).Format("15:04:05.000000")
	name := ev.EventName
	if domain.IsSignatureEvent(ev) {
		props := ev.Metadata.Properties
		name = fmt.Sprintf("*%s* [%s sev=%d]", ev.EventName, domain.PropertyString(props, "signatureID"), domain.PropertyInt(props, "Severity"))
	}
	fmt.Fprintf(&b, "%-15s %-6d %-16s %-7d %-7d %-6d %-28s ", ts, ev.UserID, ev.ProcessName, ev.HostProcessID, ev.HostThreadID, ev.ReturnValue, name)
	for i, a := range ev.Args {
		if i > 0 {
			b.WriteString(", ")
		}
		if a.Name == "detectedFrom" {
			if m, ok := a.Value.(map[string]interface{}); ok {
				fmt.Fprintf(&b, "detectedFrom: %v", m["name"])
				continue
			}
		}
		fmt.Fprintf(&b, "%s: %v", a.Name, a.Value)
	}
	b.WriteByte('\n')
	return b.String()
}

// Flush writes buffered output.
func (s *Sink) Flush(context.Context) error { return s.w.Flush() }

// Close flushes and closes a file destination.
func (s *Sink) Close(context.Context) error {
	err := s.w.Flush()
	if s.file != nil {
		if cerr := s.file.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
