package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Measurements for docs/benchmarks/elasticsearch.md. They need a node (ELASTICSEARCH_URL):
//
//	go test -run '^$' -bench Integration_ship -benchtime 20000x ./internal/adapters/elasticsearch/
//	TRACEE_ES_OUTAGE_SECONDS=600 go test -run Integration_outage_memory -v -timeout 30m ./internal/adapters/elasticsearch/

func benchURL(b *testing.B) string {
	u := os.Getenv("ELASTICSEARCH_URL")
	if u == "" {
		b.Skip("ELASTICSEARCH_URL not set (scripts/elasticsearch.sh start NAME prints one)")
	}
	return u
}

// BenchmarkIntegration_ship sends the same alerts through the sink (bulk indexer) and one
// document per request, in the same run, and reports alerts/s for each.
func BenchmarkIntegration_ship(b *testing.B) {
	url := benchURL(b)
	raw := rawClient(b, url)

	b.Run("bulk_indexer", func(b *testing.B) {
		prefix := uniquePrefix("bench-bulk")
		b.Cleanup(func() { dropIndices(raw, prefix) })
		cfg := DefaultConfig()
		cfg.Addresses, cfg.IndexPrefix, cfg.Replicas = []string{url}, prefix, 0
		cfg.SpoolDir, cfg.QueueSize = b.TempDir(), b.N+1
		s, err := New(cfg, quietLog())
		require.NoError(b, err)
		require.NoError(b, s.Start(context.Background()))
		evs := benchEvents(b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range evs {
			_ = s.Write(context.Background(), &evs[i])
		}
		require.NoError(b, s.Flush(context.Background()))
		for s.Stats().Indexed < uint64(b.N) {
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
		require.NoError(b, s.Close(context.Background()))
	})

	// the ceiling: prebuilt 5,000-document _bulk bodies posted one after another, no sink
	b.Run("raw_bulk_5000", func(b *testing.B) {
		prefix := uniquePrefix("bench-raw")
		b.Cleanup(func() { dropIndices(raw, prefix) })
		res, err := raw.Indices.PutIndexTemplate(TemplateName(prefix), bytes.NewReader(IndexTemplate(prefix, 0)))
		require.NoError(b, err)
		res.Body.Close()
		evs := benchEvents(b.N)
		var bodies [][]byte
		var buf bytes.Buffer
		for i := range evs {
			doc, _ := json.Marshal(NewDocument(&evs[i], time.Now()))
			meta, _ := json.Marshal(map[string]interface{}{"index": map[string]string{
				"_index": IndexName(prefix, time.Unix(0, int64(evs[i].Timestamp))), "_id": DocumentID(&evs[i])}})
			buf.Write(meta)
			buf.WriteByte('\n')
			buf.Write(doc)
			buf.WriteByte('\n')
			if (i+1)%5000 == 0 || i == len(evs)-1 {
				bodies = append(bodies, append([]byte(nil), buf.Bytes()...))
				buf.Reset()
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for _, body := range bodies {
			res, err := raw.Bulk(bytes.NewReader(body))
			require.NoError(b, err)
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			require.False(b, res.IsError(), res.String())
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
	})

	b.Run("one_per_request", func(b *testing.B) {
		prefix := uniquePrefix("bench-single")
		b.Cleanup(func() { dropIndices(raw, prefix) })
		res, err := raw.Indices.PutIndexTemplate(TemplateName(prefix), bytes.NewReader(IndexTemplate(prefix, 0)))
		require.NoError(b, err)
		res.Body.Close()
		evs := benchEvents(b.N)
		bodies := make([][]byte, len(evs))
		for i := range evs {
			bodies[i], _ = json.Marshal(NewDocument(&evs[i], time.Now()))
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range evs {
			res, err := raw.Index(IndexName(prefix, time.Unix(0, int64(evs[i].Timestamp))), bytes.NewReader(bodies[i]),
				raw.Index.WithDocumentID(DocumentID(&evs[i])))
			require.NoError(b, err)
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			require.False(b, res.IsError(), res.String())
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
	})
}

// TestIntegration_outage_memory writes 1,000 alerts/s while Elasticsearch is unreachable (a
// proxy in front of it refuses connections) for TRACEE_ES_OUTAGE_SECONDS, samples the memory,
// then lets the sink reach Elasticsearch again and checks that every alert arrives once.
func TestIntegration_outage_memory(t *testing.T) {
	url := esURL(t)
	secs, _ := strconv.Atoi(os.Getenv("TRACEE_ES_OUTAGE_SECONDS"))
	if secs <= 0 {
		t.Skip("TRACEE_ES_OUTAGE_SECONDS not set (a measurement, not a test: see docs/benchmarks/elasticsearch.md)")
	}
	c := rawClient(t, url)
	px := newToggleProxy(t, strings.TrimPrefix(url, "http://"))
	prefix := uniquePrefix("outage-mem")
	deleteIndices(t, c, prefix)
	cfg := testConfig(t, "http://"+px.addr)
	cfg.IndexPrefix, cfg.Replicas, cfg.MaxBackoff = prefix, 0, 5*time.Second
	cfg.SpoolMaxBytes = 8 << 30 // ~3 KB per alert: 10 minutes at 1,000/s is ~1.8 GB
	s, err := New(cfg, quietLog())
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))

	px.down()
	var peakHeap, peakRSS uint64
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peakHeap = max(peakHeap, ms.HeapInuse)
		peakRSS = max(peakRSS, rssBytes())
	}
	runtime.GC()
	sample()
	startHeap, startRSS := peakHeap, peakRSS
	n := 0
	tick := time.NewTicker(time.Millisecond)
	start := time.Now()
	for time.Since(start) < time.Duration(secs)*time.Second {
		<-tick.C
		// catch up with the schedule when a tick was missed: 1,000 alerts per second on average
		due, prev := int(time.Since(start)/time.Millisecond), n
		for ; n < due; n++ {
			ev := testAlert(1_764_000_000_000_000_000+n, "10.0.0.1")
			require.NoError(t, s.Write(context.Background(), &ev))
		}
		if n/5000 != prev/5000 {
			sample()
			st := s.Stats()
			t.Logf("t=%3.0fs written=%d heap=%.1f MiB rss=%.1f MiB spool=%.1f MiB queued=%d",
				time.Since(start).Seconds(), n, mib(peakHeap), mib(rssBytes()), mib(uint64(st.SpoolBytes)), st.Queued)
		}
	}
	tick.Stop()
	rate := float64(n) / time.Since(start).Seconds()
	st := s.Stats()
	t.Logf("outage of %ds at %.0f alerts/s: %d alerts; heap in use %.1f -> peak %.1f MiB; RSS %.1f -> peak %.1f MiB; spool %.1f MiB",
		secs, rate, n, mib(startHeap), mib(peakHeap), mib(startRSS), mib(peakRSS), mib(uint64(st.SpoolBytes)))

	px.up()
	recovered := time.Now()
	waitFor(t, "every alert after the outage", func() bool { return countDocs(t, c, prefix) >= n })
	t.Logf("all %d alerts indexed %.1fs after Elasticsearch became reachable", n, time.Since(recovered).Seconds())
	require.NoError(t, s.Close(context.Background()))
	require.Equal(t, n, countDocs(t, c, prefix), "each alert exactly once")
	require.Zero(t, s.Stats().Evicted)
}

func benchEvents(n int) []trace.Event {
	evs := make([]trace.Event, n)
	for i := range evs {
		evs[i] = testAlert(1_764_000_000_000_000_000+i*1000, "10.0.0.1")
	}
	return evs
}

func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// toggleProxy forwards TCP to a target and can refuse connections (down) and accept again (up)
// on the same address: an outage as the sink sees it, without stopping the node.
type toggleProxy struct {
	t      testing.TB
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func newToggleProxy(t testing.TB, target string) *toggleProxy {
	p := &toggleProxy{t: t, target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *toggleProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", p.target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns[in], p.conns[out] = true, true
			p.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
}

func (p *toggleProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

func (p *toggleProxy) up() {
	ln, err := net.Listen("tcp", p.addr)
	require.NoError(p.t, err)
	p.serve(ln)
}

func dropIndices(c *elasticsearch.Client, prefix string) {
	if res, err := c.Indices.Delete([]string{IndexPattern(prefix)}); err == nil {
		res.Body.Close()
	}
	if res, err := c.Indices.DeleteIndexTemplate(TemplateName(prefix)); err == nil {
		res.Body.Close()
	}
}
