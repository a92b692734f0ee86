package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
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

// shipPairs is how many times each path runs in one BenchmarkIntegration_ship, alternating:
// TRACEE_ES_BENCH_PAIRS, 3 when unset.
func shipPairs(b *testing.B) int {
	v := os.Getenv("TRACEE_ES_BENCH_PAIRS")
	if v == "" {
		return 3
	}
	n, err := strconv.Atoi(v)
	require.NoError(b, err, "TRACEE_ES_BENCH_PAIRS")
	require.Positive(b, n, "TRACEE_ES_BENCH_PAIRS")
	return n
}

// BenchmarkIntegration_ship compares, in one run, the sink with the node's ceiling: b.N alerts
// per round through the sink (Write each, then wait until Elasticsearch confirmed all) with the
// spool fsynced as by default (spool-sync=batch) and without fsync (spool-sync=none), and raw
// _bulk requests of the same documents, encoded beforehand, cut at the same size (FlushBytes)
// and posted over the same number of connections (Workers). The three run in turn, shipPairs
// times, each round into fresh indices. Reported: alerts/s of each, the sinks' ratios to raw
// (over all rounds, and the median of the pairs' ratios: a round the node happens to spend more
// on, a merge or a collection of its own, moves that less), the sink's allocations per alert
// (the whole process while it runs, HTTP client included), the CPU per alert of this process and
// of the node, and the document size.
func BenchmarkIntegration_ship(b *testing.B) {
	url := benchURL(b)
	raw := rawClient(b, url)
	cfg := DefaultConfig()
	cfg.Addresses, cfg.Replicas = []string{url}, 0
	evs := benchEvents(b.N)
	var rawTime, batchTime, noneTime time.Duration
	var batchAllocs, noneAllocs uint64
	var rawCPU, batchCPU, noneCPU cpuSpent
	node := nodePID(b)
	pairs := shipPairs(b)
	var batchRatios, noneRatios []float64
	b.ReportAllocs()
	for pair := range pairs {
		var rawD, batchD, noneD time.Duration
		runs := []func(){
			func() {
				d, c := shipRaw(b, raw, cfg, evs, node)
				rawD, rawTime, rawCPU = d, rawTime+d, rawCPU.plus(c)
				b.Logf("round %d: raw _bulk %v", pair, d)
			},
			func() {
				d, a, c := shipSink(b, raw, cfg, SpoolSyncBatch, evs, node)
				batchD, batchTime, batchAllocs, batchCPU = d, batchTime+d, batchAllocs+a, batchCPU.plus(c)
				b.Logf("round %d: sink, spool-sync=batch %v", pair, d)
			},
			func() {
				d, a, c := shipSink(b, raw, cfg, SpoolSyncNone, evs, node)
				noneD, noneTime, noneAllocs, noneCPU = d, noneTime+d, noneAllocs+a, noneCPU.plus(c)
				b.Logf("round %d: sink, spool-sync=none %v", pair, d)
			},
		}
		if pair%2 == 1 { // no path always goes first (after the previous round's indices were dropped)
			slices.Reverse(runs)
		}
		for _, run := range runs {
			run()
		}
		batchRatios = append(batchRatios, rawD.Seconds()/batchD.Seconds())
		noneRatios = append(noneRatios, rawD.Seconds()/noneD.Seconds())
	}
	b.ReportMetric(median(batchRatios), "median_ratio_fsync")
	b.ReportMetric(median(noneRatios), "median_ratio_nofsync")
	n := float64(pairs * b.N)
	b.ReportMetric(n/rawTime.Seconds(), "raw_alerts/s")
	b.ReportMetric(n/batchTime.Seconds(), "sink_fsync_alerts/s")
	b.ReportMetric(n/noneTime.Seconds(), "sink_nofsync_alerts/s")
	b.ReportMetric(rawTime.Seconds()/batchTime.Seconds(), "ratio_fsync")
	b.ReportMetric(rawTime.Seconds()/noneTime.Seconds(), "ratio_nofsync")
	b.ReportMetric(float64(batchAllocs)/n, "sink_allocs/alert")
	b.ReportMetric(float64(noneAllocs)/n, "sink_nofsync_allocs/alert")
	rawCPU.report(b, "raw", n, node != 0)
	batchCPU.report(b, "sink_fsync", n, node != 0)
	noneCPU.report(b, "sink_nofsync", n, node != 0)
	enc := newDocEncoder(Identity{HostName: "node-1", AgentID: "a1", AgentVersion: "v1"}, DefaultIndexPrefix)
	doc, _, _, err := enc.encode(nil, &evs[0], time.Now())
	require.NoError(b, err)
	b.ReportMetric(float64(len(doc)), "bytes/doc")
	b.ReportMetric(float64(legacyDocSize(b, &evs[0], time.Now())), "legacy_bytes/doc")
}

// shipSink sends evs through a new sink and returns the time until all were confirmed, the
// allocations of the process meanwhile and the CPU it and the node (when known) spent.
func shipSink(b *testing.B, raw *elasticsearch.Client, cfg Config, sync SpoolSync, evs []trace.Event, node int) (time.Duration, uint64, cpuSpent) {
	b.StopTimer()
	prefix := uniquePrefix("bench-sink")
	defer dropIndices(raw, prefix)
	cfg.IndexPrefix, cfg.SpoolSync = prefix, sync
	cfg.SpoolDir, cfg.QueueSize = b.TempDir(), len(evs)+1
	s, err := New(cfg, quietLog())
	require.NoError(b, err)
	require.NoError(b, s.Start(context.Background()))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.StartTimer()
	cpu := startCPU(node)
	start := time.Now()
	for i := range evs {
		_ = s.Write(context.Background(), &evs[i])
	}
	require.NoError(b, s.Flush(context.Background()))
	for s.Stats().Indexed < uint64(len(evs)) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	spent := cpu.stop()
	b.StopTimer()
	runtime.ReadMemStats(&after)
	require.NoError(b, s.Close(context.Background()))
	if r := s.Stats().Retried; r > 0 {
		b.Logf("%d items were retried (Elasticsearch answered 429 or 5xx): this round measured retries too", r)
	}
	b.StartTimer()
	return elapsed, after.Mallocs - before.Mallocs, spent
}

// shipRaw posts evs' documents as prebuilt _bulk bodies, cut at cfg.FlushBytes like the sink's,
// over cfg.Workers concurrent requests, and returns the time they took and the CPU this process
// and the node (when known) spent meanwhile.
func shipRaw(b *testing.B, raw *elasticsearch.Client, cfg Config, evs []trace.Event, node int) (time.Duration, cpuSpent) {
	b.StopTimer()
	prefix := uniquePrefix("bench-raw")
	defer dropIndices(raw, prefix)
	res, err := raw.Indices.PutIndexTemplate(TemplateName(prefix), bytes.NewReader(IndexTemplate(prefix, 0)))
	require.NoError(b, err)
	res.Body.Close()
	enc := newDocEncoder(DetectIdentity(), prefix)
	var bodies [][]byte
	var buf, doc []byte
	for i := range evs {
		var index, id string
		doc, index, id, err = enc.encode(doc[:0], &evs[i], time.Now())
		require.NoError(b, err)
		buf, _ = appendBulkItem(buf, index, id, doc)
		if len(buf) >= cfg.FlushBytes || i == len(evs)-1 {
			bodies = append(bodies, buf)
			buf = nil
		}
	}
	cfg.IndexPrefix = prefix
	client, err := newClient(cfg) // the sink's transport: same connection pool
	require.NoError(b, err)
	work := make(chan []byte)
	var wg sync.WaitGroup
	b.StartTimer()
	cpu := startCPU(node)
	start := time.Now()
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range work {
				res, err := client.Bulk(bytes.NewReader(body), client.Bulk.WithFilterPath(bulkFilterPath...))
				if err != nil {
					b.Error(err)
					continue
				}
				out, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.IsError() || !bytes.HasPrefix(out, []byte(`{"errors":false`)) {
					b.Errorf("bulk: %s %.300s", res.Status(), out)
				}
			}
		}()
	}
	for _, body := range bodies {
		work <- body
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	spent := cpu.stop()
	b.StopTimer()
	b.StartTimer()
	return elapsed, spent
}

// BenchmarkIntegration_one_per_request is the other end: one index request per alert over a
// kept-alive connection (what falcosidekick does by default).
func BenchmarkIntegration_one_per_request(b *testing.B) {
	url := benchURL(b)
	raw := rawClient(b, url)
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

// median of xs (the mean of the middle two for an even count); it sorts xs.
func median(xs []float64) float64 {
	slices.Sort(xs)
	m := len(xs) / 2
	if len(xs)%2 == 0 {
		return (xs[m-1] + xs[m]) / 2
	}
	return xs[m]
}

// cpuSpent is CPU time used during a measured round: this process (the sink or the raw client,
// from getrusage) and the node (from /proc/PID/stat when ELASTICSEARCH_PID names it).
type cpuSpent struct{ self, node time.Duration }

func (c cpuSpent) plus(o cpuSpent) cpuSpent { return cpuSpent{c.self + o.self, c.node + o.node} }

// report gives the CPU per alert in microseconds: name_cpu_us/alert and, with the node's,
// name_node_cpu_us/alert.
func (c cpuSpent) report(b *testing.B, name string, alerts float64, withNode bool) {
	b.ReportMetric(float64(c.self.Microseconds())/alerts, name+"_cpu_us/alert")
	if withNode {
		b.ReportMetric(float64(c.node.Microseconds())/alerts, name+"_node_cpu_us/alert")
	}
}

type cpuMeter struct {
	node  int
	start cpuSpent
}

func startCPU(node int) cpuMeter { return cpuMeter{node: node, start: cpuNow(node)} }

func (m cpuMeter) stop() cpuSpent {
	now := cpuNow(m.node)
	return cpuSpent{self: now.self - m.start.self, node: now.node - m.start.node}
}

func cpuNow(node int) cpuSpent {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	c := cpuSpent{self: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	if node != 0 {
		c.node = procCPU(node)
	}
	return c
}

// procCPU is utime+stime of process pid, all its threads (fields 14 and 15 of /proc/PID/stat).
func procCPU(pid int) time.Duration {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // after "pid (comm) "
	if len(fields) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on Linux.
const clockTicks = 100

// nodePID is the node's process from ELASTICSEARCH_PID (a number, or the path of a pid file such
// as the one scripts/elasticsearch.sh keeps), 0 when unset.
func nodePID(b *testing.B) int {
	v := os.Getenv("ELASTICSEARCH_PID")
	if v == "" {
		return 0
	}
	if raw, err := os.ReadFile(v); err == nil {
		v = strings.TrimSpace(string(raw))
	}
	pid, err := strconv.Atoi(v)
	require.NoError(b, err, "ELASTICSEARCH_PID: a pid or a pid file")
	_, err = os.Stat("/proc/" + strconv.Itoa(pid) + "/stat")
	require.NoError(b, err, "ELASTICSEARCH_PID: no such process")
	return pid
}
