package alertstest

import (
	"context"
	"testing"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// BenchSize is the number of alerts the search benchmarks load.
const BenchSize = 1_000_000

// BenchStep spreads BenchSize alerts over 20 days, inside the embedded store's default retention.
const BenchStep = 1728 * time.Millisecond

// BenchStart is where the benchmark's alerts begin: 20 days before the current hour.
func BenchStart() time.Time { return time.Now().UTC().Truncate(time.Hour).Add(-BenchSize * BenchStep) }

// Bench runs the same queries against any store holding the BenchSize alerts from start: what a
// responder asks, as `tracee alerts search` asks it.
func Bench(b *testing.B, s ports.AlertSearcher, start time.Time) {
	ctx := context.Background()
	end := start.Add(BenchSize * BenchStep)
	day := domain.AlertQuery{Since: end.Add(-24 * time.Hour)}
	filtered := domain.AlertQuery{Since: end.Add(-24 * time.Hour), MinSeverity: 2, Hosts: []string{"web-1"},
		Containers: []string{"nginx"}, Limit: 100}
	searches := []struct {
		name string
		q    domain.AlertQuery
	}{
		{"search/filtered_last_24h", filtered},
		{"search/filtered_all_time", domain.AlertQuery{MinSeverity: 3, Hosts: []string{"db-1"}, Processes: []string{"curl"}, Limit: 100}},
		{"search/rule_all_time", domain.AlertQuery{Rules: []string{"Illegitimate shell"}, Limit: 100}},
		{"search/text_all_time", domain.AlertQuery{Text: "debugger", Limit: 100}},
		{"search/text_and_host_last_24h", domain.AlertQuery{Text: "shell", Hosts: []string{"web-2"}, Since: day.Since, Limit: 100}},
	}
	for _, tt := range searches {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				page, err := s.Search(ctx, tt.q)
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Alerts) == 0 {
					b.Fatal("no alerts")
				}
			}
		})
	}
	b.Run("count/filtered_all_time", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Count(ctx, domain.AlertQuery{MinSeverity: 2, Hosts: []string{"web-1"}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, tt := range []struct {
		name string
		q    domain.AlertQuery
		f    domain.AlertField
	}{
		{"by_rule_all_time", domain.AlertQuery{}, domain.FieldRule},
		{"by_host_all_time", domain.AlertQuery{}, domain.FieldHost},
		{"by_process_last_24h", day, domain.FieldProcess},
		{"by_container_filtered_all_time", domain.AlertQuery{MinSeverity: 2}, domain.FieldContainer},
	} {
		b.Run("aggregate/"+tt.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Aggregate(ctx, tt.q, tt.f, 10); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, tt := range []struct {
		name string
		q    domain.AlertQuery
		iv   time.Duration
	}{
		{"hourly_last_24h", day, time.Hour},
		{"daily_all_time", domain.AlertQuery{}, 24 * time.Hour},
		{"hourly_rule_all_time", domain.AlertQuery{Rules: []string{"TRC-102"}}, time.Hour},
	} {
		b.Run("histogram/"+tt.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Histogram(ctx, tt.q, tt.iv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
