// Package configfile reads a Tracee configuration file (--config): YAML or JSON with one top-level
// key per subsystem, each either nested or a list of CLI-style flag strings, as Tracee's config page
// says. It turns every key into the flag values the command line would have given.
package configfile

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// Entry is one top-level key of the file as CLI-style values of the flag of the same name.
type Entry struct {
	Key    string
	Values []string
	Pos    string // file:line:column of the key
}

// Error is a problem in the file, with its position and the fix.
type Error struct {
	Pos, Msg, Fix string
}

func (e *Error) Error() string {
	s := e.Pos + ": " + e.Msg
	if e.Fix != "" {
		s += "; " + e.Fix
	}
	return s
}

// Load reads path. Keys are not checked here: the caller knows its flags (see Check).
func Load(path string) ([]Entry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	return Parse(path, data)
}

// Parse reads a configuration from data; name is used in positions.
func Parse(name string, data []byte) ([]Entry, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{Pos: name, Msg: "not YAML or JSON: " + err.Error(), Fix: "see 'tracee man config'"}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{Pos: pos(name, root), Msg: "the file must be a mapping of subsystem keys (output, logging, server ...)",
			Fix: "see 'tracee man config'"}
	}
	var out []Entry
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		e := Entry{Key: k.Value, Pos: pos(name, k)}
		if strings.Contains(k.Value, ".") {
			return nil, &Error{Pos: e.Pos, Msg: fmt.Sprintf("dotted key %q at the root is not loaded", k.Value),
				Fix: fmt.Sprintf("nest it: %s: {%s: ...}", strings.SplitN(k.Value, ".", 2)[0], strings.SplitN(k.Value, ".", 2)[1])}
		}
		vals, err := values(name, v)
		if err != nil {
			return nil, err
		}
		e.Values = vals
		out = append(out, e)
	}
	return out, nil
}

// values flattens a key's value into CLI-style strings.
func values(name string, v *yaml.Node) ([]string, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" || v.Value == "" {
			return nil, nil
		}
		return []string{v.Value}, nil
	case yaml.SequenceNode:
		var out []string
		for _, item := range v.Content {
			switch item.Kind {
			case yaml.ScalarNode:
				out = append(out, item.Value)
			case yaml.MappingNode:
				flat, err := flatten(name, "", item)
				if err != nil {
					return nil, err
				}
				out = append(out, flat...)
			default:
				return nil, &Error{Pos: pos(name, item), Msg: "a list item must be a CLI-style string",
					Fix: `write e.g. - "level=info"`}
			}
		}
		return out, nil
	case yaml.MappingNode:
		return flatten(name, "", v)
	}
	return nil, &Error{Pos: pos(name, v), Msg: "unsupported value", Fix: "use a mapping or a list of CLI-style strings"}
}

// flatten turns nested mappings into "a.b=value" strings; true is a bare flag, false is left out.
// A list of mappings with a "name" key (output destinations) becomes "LIST.NAME.FIELD=value".
func flatten(name, prefix string, m *yaml.Node) ([]string, error) {
	var out []string
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := k.Value
		if prefix != "" {
			key = prefix + "." + key
		}
		switch v.Kind {
		case yaml.ScalarNode:
			switch {
			case v.Tag == "!!bool":
				if b, _ := strconv.ParseBool(v.Value); b {
					out = append(out, key)
				}
			case v.Tag == "!!null":
				out = append(out, key)
			default:
				out = append(out, key+"="+v.Value)
			}
		case yaml.MappingNode:
			if isEnabledOnly(v) {
				out = append(out, key)
				continue
			}
			if isDisabled(v) {
				continue
			}
			flat, err := flatten(name, key, v)
			if err != nil {
				return nil, err
			}
			out = append(out, flat...)
		case yaml.SequenceNode:
			for _, item := range v.Content {
				switch item.Kind {
				case yaml.ScalarNode:
					out = append(out, key+"="+item.Value)
				case yaml.MappingNode:
					itemName := field(item, "name")
					if itemName == "" {
						return nil, &Error{Pos: pos(name, item), Msg: fmt.Sprintf("an item of %s needs a name", key),
							Fix: "add name: NAME"}
					}
					flat, err := flatten(name, key+"."+itemName, without(item, "name"))
					if err != nil {
						return nil, err
					}
					out = append(out, flat...)
				}
			}
		}
	}
	return out, nil
}

// isEnabledOnly: {enabled: true} stands for the bare flag.
func isEnabledOnly(m *yaml.Node) bool {
	return len(m.Content) == 2 && m.Content[0].Value == "enabled" && m.Content[1].Value == "true"
}

func isDisabled(m *yaml.Node) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "enabled" && m.Content[i+1].Value == "false" {
			return true
		}
	}
	return false
}

func field(m *yaml.Node, key string) string {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1].Value
		}
	}
	return ""
}

func without(m *yaml.Node, key string) *yaml.Node {
	c := *m
	c.Content = nil
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			c.Content = append(c.Content, m.Content[i], m.Content[i+1])
		}
	}
	return &c
}

func pos(name string, n *yaml.Node) string {
	return fmt.Sprintf("%s:%d:%d", name, n.Line, n.Column)
}

// Keys says what each top-level key may be.
type Keys struct {
	Flags       map[string]bool   // keys that map onto a flag of the same name
	Unsupported map[string]string // keys of Tracee's config that this agent does not support, with why
	CLIOnly     []string          // keys the config page makes CLI-only
}

// ErrCLIOnly marks a key that may only be given on the command line.
var ErrCLIOnly = errors.New("CLI-only, as in Tracee")

// Check judges every entry: an unknown key is an error naming the nearest key; a CLI-only key is
// an error; an unsupported key gives a warning. It returns the entries to apply.
func Check(entries []Entry, keys Keys) (apply []Entry, warnings []string, err error) {
	for _, e := range entries {
		switch {
		case slices.Contains(keys.CLIOnly, e.Key):
			return nil, nil, &Error{Pos: e.Pos, Msg: fmt.Sprintf("--%s is %v", e.Key, ErrCLIOnly),
				Fix: fmt.Sprintf("give --%s on the command line", e.Key)}
		case keys.Flags[e.Key]:
			apply = append(apply, e)
		case keys.Unsupported[e.Key] != "":
			if len(e.Values) > 0 {
				warnings = append(warnings, fmt.Sprintf("%s: %s is not supported by this agent (%s); ignored", e.Pos, e.Key, keys.Unsupported[e.Key]))
			}
		default:
			var known []string
			for k := range keys.Flags {
				known = append(known, k)
			}
			for k := range keys.Unsupported {
				known = append(known, k)
			}
			sort.Strings(known)
			fix := "known keys: " + strings.Join(known, ", ")
			if near := nearest(e.Key, known); near != "" {
				fix = fmt.Sprintf("did you mean %s? %s", near, fix)
			}
			return nil, nil, &Error{Pos: e.Pos, Msg: fmt.Sprintf("unknown key %q", e.Key), Fix: fix}
		}
	}
	return apply, warnings, nil
}

// nearest returns the known key closest to key, or "".
func nearest(key string, known []string) string {
	if s := domain.Suggest(key, known); len(s) > 0 {
		return s[0]
	}
	return ""
}
