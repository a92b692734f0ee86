package app

import (
	"fmt"
	"strings"

	"github.com/seed-428f5ad7/tracee/internal/adapters/elasticsearch"
	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// Destination is one output as Tracee's output page names its fields.
type Destination struct {
	Name   string
	Type   string // file, webhook, elasticsearch (forward is refused)
	Format string // json, table, gotemplate=PATH
	Path   string // file: "stdout" or a path
	URL    string // webhook, elasticsearch
}

// OutputPlan is what the --output values ask for.
type OutputPlan struct {
	Destinations []Destination
	SortEvents   bool
	// Hints name the current spelling of older spellings that were accepted.
	Hints []string
}

// HasType reports whether a destination of type t is planned.
func (p OutputPlan) HasType(t string) bool {
	for _, d := range p.Destinations {
		if d.Type == t {
			return true
		}
	}
	return false
}

// destinationFields are the fields of destinations.NAME.FIELD=VALUE.
var destinationFields = []string{"type", "format", "path", "url"}

// ParseOutputs reads --output values: Tracee's destinations.NAME.FIELD=VALUE and sort-events, and the
// short forms table, json, table:FILE, json:FILE (Tracee v0.24.1's json:FILE1,FILE2 too),
// gotemplate=TEMPLATE[:FILE], webhook:URL, elasticsearch:URL[?options], option:sort-events and none.
// With no value, events are printed as a table on stdout.
func ParseOutputs(values []string) (OutputPlan, error) {
	var plan OutputPlan
	named := map[string]*Destination{}
	var order []string
	none := false
	for _, v := range values {
		v = strings.TrimSpace(v)
		switch {
		case v == "none":
			none = true
		case v == "sort-events":
			plan.SortEvents = true
		case strings.HasPrefix(v, "option:"):
			if err := plan.option(strings.TrimPrefix(v, "option:")); err != nil {
				return plan, err
			}
		case strings.HasPrefix(v, "destinations."):
			rest := strings.TrimPrefix(v, "destinations.")
			key, value, ok := strings.Cut(rest, "=")
			name, field, ok2 := strings.Cut(key, ".")
			if !ok || !ok2 || name == "" {
				return plan, fmt.Errorf("--output %q: write destinations.NAME.FIELD=VALUE (fields: %s)", v, strings.Join(destinationFields, ", "))
			}
			d := named[name]
			if d == nil {
				d = &Destination{Name: name}
				named[name] = d
				order = append(order, name)
			}
			switch field {
			case "type":
				d.Type = value
			case "format":
				d.Format = value
			case "path":
				d.Path = value
			case "url":
				d.URL = value
			default:
				msg := fmt.Sprintf("--output %q: unknown destination field %q (fields: %s)", v, field, strings.Join(destinationFields, ", "))
				if s := domain.Suggest(field, destinationFields); len(s) > 0 {
					msg += "; did you mean " + s[0] + "?"
				}
				return plan, fmt.Errorf("%s", msg)
			}
		case strings.HasPrefix(v, elasticsearch.OutputScheme+":"):
			plan.Destinations = append(plan.Destinations, Destination{Name: elasticsearch.OutputScheme, Type: "elasticsearch", URL: v})
		case strings.HasPrefix(v, "webhook:"):
			plan.Destinations = append(plan.Destinations, Destination{Name: "webhook", Type: "webhook", Format: "json", URL: strings.TrimPrefix(v, "webhook:")})
			plan.Hints = append(plan.Hints, fmt.Sprintf("--output %s is Tracee v0.24's spelling; now: --output destinations.webhook.type=webhook --output destinations.webhook.url=URL", v))
		case strings.HasPrefix(v, "forward:"):
			return plan, fmt.Errorf("--output %q: the Fluent Forward output is not built into this agent; use a webhook or elasticsearch destination", v)
		default:
			ds, hint, err := shortForm(v)
			if err != nil {
				return plan, err
			}
			plan.Destinations = append(plan.Destinations, ds...)
			if hint != "" {
				plan.Hints = append(plan.Hints, hint)
			}
		}
	}
	for _, name := range order {
		d := *named[name]
		if err := d.complete(); err != nil {
			return plan, err
		}
		plan.Destinations = append(plan.Destinations, d)
	}
	if len(plan.Destinations) == 0 && !none {
		plan.Destinations = []Destination{{Name: "table", Type: "file", Format: "table", Path: "stdout"}}
	}
	if n := countType(plan.Destinations, "elasticsearch"); n > 1 {
		return plan, fmt.Errorf("--output: one Elasticsearch output at most (a cluster takes every alert once), got %d", n)
	}
	return plan, nil
}

// complete fills a named destination's defaults (Tracee's: type file, format table for files and
// json otherwise, path stdout) and checks it.
func (d *Destination) complete() error {
	if d.Type == "" {
		d.Type = "file"
	}
	switch d.Type {
	case "file":
		if d.Path == "" {
			d.Path = "stdout"
		}
		if d.Format == "" {
			d.Format = "table"
		}
	case "webhook", "elasticsearch":
		if d.URL == "" {
			return fmt.Errorf("--output destinations.%s: a %s destination needs url=", d.Name, d.Type)
		}
		if d.Format == "" {
			d.Format = "json"
		}
		if d.Type == "elasticsearch" && !strings.HasPrefix(d.URL, elasticsearch.OutputScheme+":") {
			d.URL = elasticsearch.OutputScheme + ":" + d.URL
		}
	case "forward":
		return fmt.Errorf("--output destinations.%s.type=forward: the Fluent Forward output is not built into this agent; use webhook or elasticsearch", d.Name)
	default:
		return fmt.Errorf("--output destinations.%s.type=%s: unknown type; types are file, webhook, elasticsearch", d.Name, d.Type)
	}
	if f := d.Format; f != "json" && f != "table" && !strings.HasPrefix(f, "gotemplate=") {
		return fmt.Errorf("--output destinations.%s.format=%s: formats are json, table and gotemplate=/path/to/template", d.Name, f)
	}
	return nil
}

// shortForm reads table, json, table:FILE, json:FILE1,FILE2 and gotemplate=TEMPLATE[:FILE].
func shortForm(v string) ([]Destination, string, error) {
	format, paths, hasPath := strings.Cut(v, ":")
	switch {
	case format == "table" || format == "json" || strings.HasPrefix(format, "gotemplate="):
	default:
		return nil, "", fmt.Errorf("--output %q: unknown output; use destinations.NAME.FIELD=VALUE, table, json, table:FILE, json:FILE, "+
			"gotemplate=TEMPLATE, webhook:URL, elasticsearch:URL, sort-events or none (see 'tracee man output')", v)
	}
	if !hasPath {
		return []Destination{{Name: v, Type: "file", Format: format, Path: "stdout"}}, "", nil
	}
	var out []Destination
	files := strings.Split(paths, ",")
	for _, p := range files {
		if p = strings.TrimSpace(p); p != "" {
			name := format + ":" + p
			out = append(out, Destination{Name: name, Type: "file", Format: format, Path: p})
		}
	}
	if len(out) == 0 {
		return nil, "", fmt.Errorf("--output %q: no file after %q", v, format+":")
	}
	hint := ""
	if len(files) > 1 {
		hint = fmt.Sprintf("--output %s is Tracee v0.24's spelling; now one destination per file: --output destinations.NAME.format=%s --output destinations.NAME.path=FILE", v, format)
	}
	return out, hint, nil
}

// option reads Tracee v0.24's output options.
func (p *OutputPlan) option(o string) error {
	switch o {
	case "sort-events":
		p.SortEvents = true
		p.Hints = append(p.Hints, "--output option:sort-events is Tracee v0.24's spelling; now: --output sort-events")
	case "exec-env":
		p.Hints = append(p.Hints, "--output option:exec-env: sched_process_exec always carries env here; nothing to switch on")
	default:
		return fmt.Errorf("--output option:%s: not supported (this agent prints arguments as Tracee's JSON decoder reads them and keeps no stack addresses)", o)
	}
	return nil
}

func countType(ds []Destination, t string) int {
	n := 0
	for _, d := range ds {
		if d.Type == t {
			n++
		}
	}
	return n
}
