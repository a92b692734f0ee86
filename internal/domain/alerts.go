package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Alert is one recorded signature event as an alert store returns it.
type Alert struct {
	// ID is unique within the store that returned it (a row id, an index/_id pair).
	ID          string    `json:"id"`
	Time        time.Time `json:"time"`
	RuleID      string    `json:"ruleId"`
	RuleName    string    `json:"ruleName"`
	EventName   string    `json:"eventName"`
	Severity    int       `json:"severity"`
	TechniqueID string    `json:"techniqueId,omitempty"`
	Technique   string    `json:"technique,omitempty"`
	Host        string    `json:"host,omitempty"`
	ContainerID string    `json:"containerId,omitempty"`
	Container   string    `json:"container,omitempty"` // container name
	// Image is the container's image reference; Pod and PodNamespace its Kubernetes pod (from
	// --enrichment container).
	Image        string          `json:"image,omitempty"`
	Pod          string          `json:"pod,omitempty"`
	PodNamespace string          `json:"podNamespace,omitempty"`
	Process      string          `json:"process,omitempty"` // process name (comm)
	PID          int             `json:"pid,omitempty"`
	Message      string          `json:"message"`
	Description  string          `json:"description,omitempty"` // the rule's description
	Event        json.RawMessage `json:"event,omitempty"`       // the full signature event as JSON
}

// AlertFromEvent extracts the searchable fields of a signature event. Event is left empty: the
// caller decides how the full event is serialised.
func AlertFromEvent(ev *trace.Event) Alert {
	var props map[string]interface{}
	var desc string
	if ev.Metadata != nil {
		props = ev.Metadata.Properties
		desc = ev.Metadata.Description
	}
	a := Alert{
		Time:         time.Unix(0, int64(ev.Timestamp)).UTC(),
		RuleID:       PropertyString(props, "signatureID"),
		RuleName:     PropertyString(props, "signatureName"),
		EventName:    ev.EventName,
		Severity:     PropertyInt(props, "Severity"),
		TechniqueID:  PropertyString(props, "external_id"),
		Technique:    PropertyString(props, "Technique"),
		Host:         ev.HostName,
		ContainerID:  ev.Container.ID,
		Container:    ev.Container.Name,
		Image:        ev.Container.ImageName,
		Pod:          ev.Kubernetes.PodName,
		PodNamespace: ev.Kubernetes.PodNamespace,
		Process:      ev.ProcessName,
		PID:          ev.HostProcessID,
		Description:  desc,
	}
	if a.ContainerID == "" {
		a.ContainerID = ev.ContainerID
	}
	if a.Severity < 0 {
		a.Severity = 0
	}
	// the message is the rule's name, as the Elasticsearch documents have it
	a.Message = a.RuleName
	if a.Message == "" {
		a.Message = ev.EventName
	}
	return a
}

// Severity names accepted wherever a severity is typed, mapped to Tracee's 0-4 scale.
var severityNames = []string{"info", "low", "medium", "high", "critical"}

// SeverityName names a 0-4 severity.
func SeverityName(s int) string {
	if s >= 0 && s < len(severityNames) {
		return severityNames[s]
	}
	return strconv.Itoa(s)
}

// ParseSeverity reads "0".."4" or info|low|medium|high|critical.
func ParseSeverity(s string) (int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range severityNames {
		if s == n {
			return i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 4 {
		return 0, fmt.Errorf("severity %q: want 0-4 or one of %s", s, strings.Join(severityNames, ", "))
	}
	return n, nil
}

// AlertQuery selects alerts. Empty fields do not filter; list fields match any of their values.
type AlertQuery struct {
	Since time.Time // inclusive; zero means no lower bound
	Until time.Time // exclusive; zero means no upper bound
	// MinSeverity keeps alerts with Severity >= MinSeverity (0 keeps all).
	MinSeverity int
	// Rules match the rule ID, the rule name or the signature event name, exactly.
	Rules      []string
	Hosts      []string
	Containers []string // container ID, ID prefix, or name
	Processes  []string // process name
	Techniques []string // MITRE technique ID (T1622) or name
	// Images match the container's image: NAME matches every tag, NAME:TAG that tag only.
	Images []string
	// Pods match the Kubernetes pod: NAME in any namespace, or NAMESPACE/NAME.
	Pods []string
	// Text is free text: every word must occur in the alert's message or description (whole words,
	// case-insensitive; a trailing * matches a prefix); stores may also match other fields.
	Text string
	// Limit caps one page of Search (stores may cap it further); 0 means the store's default.
	Limit int
	// Ascending returns the oldest first; the default is newest first.
	Ascending bool
	// Cursor continues a Search where the previous page ended (AlertPage.Next).
	Cursor string
}

// AlertPage is one page of search results.
type AlertPage struct {
	Alerts []Alert
	// Next continues the search; empty when there is nothing more.
	Next string
}

// AlertField is a field alerts can be grouped by.
type AlertField string

// The fields of --by.
const (
	FieldRule      AlertField = "rule"
	FieldHost      AlertField = "host"
	FieldTechnique AlertField = "technique"
	FieldContainer AlertField = "container"
	FieldProcess   AlertField = "process"
)

// AlertFields lists the fields alerts can be grouped by.
var AlertFields = []AlertField{FieldRule, FieldHost, FieldTechnique, FieldContainer, FieldProcess}

// ParseAlertField validates a --by value.
func ParseAlertField(s string) (AlertField, error) {
	for _, f := range AlertFields {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(AlertFields))
	for i, f := range AlertFields {
		names[i] = string(f)
	}
	return "", fmt.Errorf("cannot group by %q: want one of %s", s, strings.Join(names, ", "))
}

// Key returns the alert's value for f: rule ID, host name, technique ID, container ID, process name.
func (a Alert) Key(f AlertField) string {
	switch f {
	case FieldRule:
		return a.RuleID
	case FieldHost:
		return a.Host
	case FieldTechnique:
		return a.TechniqueID
	case FieldContainer:
		return a.ContainerID
	case FieldProcess:
		return a.Process
	}
	return ""
}

// Bucket is the count of alerts sharing one value of a field. Alerts without a value are not counted.
type Bucket struct {
	Key   string `json:"key"`
	Count int64  `json:"count"`
}

// SortBuckets orders buckets by count, most first, then by key; stores return them in this order.
func SortBuckets(b []Bucket) {
	sort.Slice(b, func(i, j int) bool {
		if b[i].Count != b[j].Count {
			return b[i].Count > b[j].Count
		}
		return b[i].Key < b[j].Key
	})
}

// TimeBucket counts alerts in [Start, Start+interval).
type TimeBucket struct {
	Start time.Time `json:"start"`
	Count int64     `json:"count"`
}

// BucketStart aligns t on a multiple of interval since the Unix epoch, as stores bucket time.
func BucketStart(t time.Time, interval time.Duration) time.Time {
	ns := t.UnixNano()
	iv := interval.Nanoseconds()
	start := ns - ns%iv
	if ns < 0 && ns%iv != 0 {
		start -= iv
	}
	return time.Unix(0, start).UTC()
}

// FillTimeBuckets returns one bucket per interval from the bucket of from (or the first bucket)
// to the bucket before until (or the last bucket), with zero counts where in holds none.
// in must be sorted by Start. A zero from/until leaves that end at the data.
func FillTimeBuckets(in []TimeBucket, interval time.Duration, from, until time.Time) []TimeBucket {
	counts := make(map[int64]int64, len(in))
	for _, b := range in {
		counts[b.Start.UnixNano()] += b.Count
	}
	var first, last time.Time
	if len(in) > 0 {
		first, last = in[0].Start, in[len(in)-1].Start
	}
	if !from.IsZero() {
		first = BucketStart(from, interval)
	}
	if !until.IsZero() {
		last = BucketStart(until.Add(-1), interval)
	}
	if first.IsZero() || last.IsZero() || last.Before(first) {
		return nil
	}
	// bound the output so a tiny interval over a long range cannot exhaust memory
	if n := last.Sub(first) / interval; n > MaxTimeBuckets {
		first = last.Add(-interval * (MaxTimeBuckets - 1))
	}
	var out []TimeBucket
	for t := first; !t.After(last); t = t.Add(interval) {
		out = append(out, TimeBucket{Start: t, Count: counts[t.UnixNano()]})
	}
	return out
}

// MaxTimeBuckets bounds a histogram's length.
const MaxTimeBuckets = 10000

// Errors an alert store reports so the command can explain them in one line.
var (
	// ErrStoreUnreachable: the store cannot be reached (connection refused, DNS, timeout).
	ErrStoreUnreachable = errors.New("alert store unreachable")
	// ErrStoreUnauthorized: the store refused the credentials.
	ErrStoreUnauthorized = errors.New("alert store refused the credentials")
	// ErrNoAlerts: the store exists but holds no alert index or table yet.
	ErrNoAlerts = errors.New("no alerts recorded yet")
	// ErrBadCursor: a cursor from another query or an expired point in time.
	ErrBadCursor = errors.New("invalid or expired cursor")
)

// SplitImage splits an image reference into its name and tag, dropping a digest:
// docker.io/library/nginx:1.27 is (docker.io/library/nginx, 1.27); localhost:5000/app is
// (localhost:5000/app, "").
func SplitImage(ref string) (name, tag string) {
	ref, _, _ = strings.Cut(ref, "@")
	slash := strings.LastIndex(ref, "/")
	if i := strings.LastIndex(ref, ":"); i > slash {
		return ref[:i], ref[i+1:]
	}
	return ref, ""
}

// SplitPod reads a --pod value: NAMESPACE/NAME, or NAME (namespace empty: any).
func SplitPod(v string) (namespace, name string) {
	if ns, n, ok := strings.Cut(v, "/"); ok {
		return ns, n
	}
	return "", v
}
