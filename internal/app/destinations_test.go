package app

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/mocks"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func TestParseOutputs(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []Destination
		sort   bool
		hints  int
	}{
		{"default is a table on stdout", nil, []Destination{{Name: "table", Type: "file", Format: "table", Path: "stdout"}}, false, 0},
		{"none", []string{"none"}, nil, false, 0},
		{"Tracee's destinations", []string{"destinations.file_out.type=file", "destinations.file_out.format=json", "destinations.file_out.path=/my/out.json"},
			[]Destination{{Name: "file_out", Type: "file", Format: "json", Path: "/my/out.json"}}, false, 0},
		{"destination defaults", []string{"destinations.stdout_json.format=json"},
			[]Destination{{Name: "stdout_json", Type: "file", Format: "json", Path: "stdout"}}, false, 0},
		{"webhook", []string{"destinations.webhook1.type=webhook", "destinations.webhook1.url=http://webhook:8080?timeout=5s"},
			[]Destination{{Name: "webhook1", Type: "webhook", Format: "json", URL: "http://webhook:8080?timeout=5s"}}, false, 0},
		{"template", []string{"destinations.template_out.format=gotemplate=/path/to/my.tmpl"},
			[]Destination{{Name: "template_out", Type: "file", Format: "gotemplate=/path/to/my.tmpl", Path: "stdout"}}, false, 0},
		{"sort-events", []string{"json", "sort-events"}, []Destination{{Name: "json", Type: "file", Format: "json", Path: "stdout"}}, true, 0},
		{"v0.24 json:FILE1,FILE2", []string{"json:/a.json,/b.json"}, []Destination{
			{Name: "json:/a.json", Type: "file", Format: "json", Path: "/a.json"}, {Name: "json:/b.json", Type: "file", Format: "json", Path: "/b.json"}}, false, 1},
		{"v0.24 option:sort-events", []string{"table", "option:sort-events"}, []Destination{{Name: "table", Type: "file", Format: "table", Path: "stdout"}}, true, 1},
		{"elasticsearch", []string{"elasticsearch:http://127.0.0.1:9200?index=x"},
			[]Destination{{Name: "elasticsearch", Type: "elasticsearch", URL: "elasticsearch:http://127.0.0.1:9200?index=x"}}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := ParseOutputs(tt.values)
			require.NoError(t, err)
			assert.Equal(t, tt.want, plan.Destinations)
			assert.Equal(t, tt.sort, plan.SortEvents)
			assert.Len(t, plan.Hints, tt.hints)
		})
	}
}

func TestParseOutputs_refuses_with_the_reason(t *testing.T) {
	tests := []struct {
		values []string
		want   string
	}{
		{[]string{"destinations.x.typ=file"}, "did you mean type?"},
		{[]string{"destinations.f1.type=forward", "destinations.f1.url=tcp://user:pass@127.0.0.1:24224?tag=tracee"}, "Fluent Forward output is not built"},
		{[]string{"destinations.w.type=webhook"}, "needs url="},
		{[]string{"destinations.x.format=yaml"}, "formats are json, table and gotemplate"},
		{[]string{"xml"}, "unknown output"},
		{[]string{"option:parse-arguments"}, "not supported"},
		{[]string{"elasticsearch:http://a:9200", "destinations.e.type=elasticsearch", "destinations.e.url=http://b:9200"}, "one Elasticsearch output at most"},
	}
	for _, tt := range tests {
		_, err := ParseOutputs(tt.values)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want %q", tt.values, err, tt.want)
		}
	}
}

// TestSortingSink: with sort-events, events reach the output in timestamp order.
func TestSortingSink(t *testing.T) {
	next := mocks.NewEventSink(t)
	var got []int
	next.EXPECT().Write(mock.Anything, mock.Anything).RunAndReturn(func(_ context.Context, ev *trace.Event) error {
		got = append(got, ev.Timestamp)
		return nil
	})
	next.EXPECT().Flush(mock.Anything).Return(nil)
	s := newSortingSink(next)
	for _, ts := range []int{5, 3, 4, 1, 2} {
		require.NoError(t, s.Write(context.Background(), &trace.Event{Timestamp: ts}))
	}
	require.NoError(t, s.Flush(context.Background()))
	assert.Equal(t, []int{1, 2, 3, 4, 5}, got)
}
