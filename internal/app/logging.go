package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
)

// LogOptions are the values of --logging, as Tracee's logging page defines them.
type LogOptions struct {
	Level            slog.Level
	File             string // write logs here (created or truncated) instead of stderr
	JSON             bool   // format=json: one JSON object per line
	include, exclude logFilter
}

type logFilter struct {
	msgs   []string
	regexs []*regexp.Regexp
	levels []slog.Level
}

func (f logFilter) empty() bool { return len(f.msgs) == 0 && len(f.regexs) == 0 && len(f.levels) == 0 }

func (f logFilter) match(r slog.Record) bool {
	for _, m := range f.msgs {
		if strings.Contains(r.Message, m) {
			return true
		}
	}
	for _, re := range f.regexs {
		if re.MatchString(r.Message) {
			return true
		}
	}
	for _, l := range f.levels {
		if r.Level == l {
			return true
		}
	}
	return false
}

// ParseLogLevel reads debug, info, warn or error.
func ParseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error", "fatal":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("level %q: use debug, info, warn or error", s)
}

// ParseLogOptions reads --logging values: level=, file=, format=json|text, aggregate[.flush-interval=]
// (warnings are always rate-limited into one line with a count here), filters.include|exclude.
// msg=A,B | regex=RE | level=L. pkg=, file= and libbpf filters are refused: logs carry components,
// not Go packages or source files, and libbpf is not used.
func ParseLogOptions(values []string, level string) (LogOptions, error) {
	lv, err := ParseLogLevel(level)
	if err != nil {
		return LogOptions{}, fmt.Errorf("--log-level: %w", err)
	}
	o := LogOptions{Level: lv}
	for _, v := range values {
		key, val, _ := strings.Cut(v, "=")
		switch {
		case key == "level":
			if o.Level, err = ParseLogLevel(val); err != nil {
				return o, fmt.Errorf("--logging %q: %w", v, err)
			}
		case key == "file":
			if val == "" {
				return o, fmt.Errorf("--logging %q: give a path", v)
			}
			o.File = val
		case key == "format":
			if val != "json" && val != "text" {
				return o, fmt.Errorf("--logging %q: format is json or text", v)
			}
			o.JSON = val == "json"
		case key == "aggregate" || key == "aggregate.flush-interval":
			// warnings are always aggregated (one line with a count); nothing to switch on
		case strings.HasPrefix(key, "filters.include.") || strings.HasPrefix(key, "filters.exclude."):
			f := &o.include
			kind := strings.TrimPrefix(key, "filters.include.")
			if strings.HasPrefix(key, "filters.exclude.") {
				f, kind = &o.exclude, strings.TrimPrefix(key, "filters.exclude.")
			}
			for _, item := range strings.Split(val, ",") {
				switch kind {
				case "msg":
					f.msgs = append(f.msgs, item)
				case "regex":
					re, err := regexp.Compile(item)
					if err != nil {
						return o, fmt.Errorf("--logging %q: %w", v, err)
					}
					f.regexs = append(f.regexs, re)
				case "level":
					l, err := ParseLogLevel(item)
					if err != nil {
						return o, fmt.Errorf("--logging %q: %w", v, err)
					}
					f.levels = append(f.levels, l)
				default:
					return o, fmt.Errorf("--logging %q: filter %s is not supported (logs carry components, not Go packages or files; libbpf is not used); use msg=, regex= or level=", v, kind)
				}
			}
		default:
			return o, fmt.Errorf("--logging %q: unknown option; options are level=, file=, format=, aggregate, filters.include|exclude.msg|regex|level=", v)
		}
	}
	return o, nil
}

// NewLogger builds the logger the options describe, writing to w unless File is set.
func NewLogger(o LogOptions, w io.Writer) (*slog.Logger, error) {
	if o.File != "" {
		f, err := os.OpenFile(o.File, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return nil, fmt.Errorf("--logging file=%s: %w", o.File, err)
		}
		w = f
	}
	opts := &slog.HandlerOptions{Level: o.Level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if o.JSON {
		h = slog.NewJSONHandler(w, opts)
	}
	if !o.include.empty() || !o.exclude.empty() {
		h = filterHandler{Handler: h, include: o.include, exclude: o.exclude}
	}
	return slog.New(h), nil
}

// filterHandler drops records the include filter does not match or the exclude filter matches.
type filterHandler struct {
	slog.Handler
	include, exclude logFilter
}

func (f filterHandler) Handle(ctx context.Context, r slog.Record) error {
	if (!f.include.empty() && !f.include.match(r)) || f.exclude.match(r) {
		return nil
	}
	return f.Handler.Handle(ctx, r)
}

func (f filterHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return filterHandler{Handler: f.Handler.WithAttrs(a), include: f.include, exclude: f.exclude}
}

func (f filterHandler) WithGroup(name string) slog.Handler {
	return filterHandler{Handler: f.Handler.WithGroup(name), include: f.include, exclude: f.exclude}
}
