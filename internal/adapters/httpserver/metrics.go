package httpserver

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// collector turns one ports.AgentStats read into metrics at every scrape. Names marked "Tracee"
// are Tracee's own (pkg/metrics, pkg/signatures/metrics), with the same meaning.
type collector struct {
	mon   ports.AgentMonitor
	descs []*prometheus.Desc
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	// Tracee's names.
	eventsTotal      = desc("tracee_events_total", "events collected by tracee")
	eventsFiltered   = desc("tracee_events_filtered", "events filtered by tracee in userspace")
	lostEventsTotal  = desc("tracee_lostevents_total", "events lost in the submission buffer")
	errorsTotal      = desc("tracee_errors_total", "errors accumulated by tracee: decode, signature, panic, finding policy and output write errors")
	sigEventsTotal   = desc("tracee_signatures_events_total", "events ingested by signature engine")
	sigDetections    = desc("tracee_signatures_detections_total", "detections made by signatures")
	signaturesLoaded = desc("tracee_signatures_total", "signatures loaded")
	// This agent's own.
	eventsByName     = desc("tracee_events_by_name_total", "events collected, by event name", "event_name")
	sigMatched       = desc("tracee_signatures_matched_events_total", "events at least one signature selected")
	sigErrors        = desc("tracee_signatures_errors_total", "signature OnEvent errors")
	sigPanics        = desc("tracee_signatures_panics_total", "signature panics recovered")
	sigDisabled      = desc("tracee_signatures_disabled", "signatures left out because their Init failed")
	findingsTotal    = desc("tracee_findings_total", "findings, by signature and severity", "signature_id", "signature_name", "severity")
	findingsSuppr    = desc("tracee_findings_suppressed_total", "findings suppressed by a finding policy")
	findingsStorm    = desc("tracee_findings_storm_suppressed_total", "findings over their signature's per-process rate, summarised into the next one")
	findingPolicyErr = desc("tracee_finding_policy_errors_total", "findings whose finding policy failed (the finding is kept)")
	kernelRecords    = desc("tracee_kernel_records_read_total", "records read from the kernel ring buffer")
	kernelLost       = desc("tracee_kernel_records_lost_total", "records the kernel dropped because the ring buffer was full, by CPU", "cpu")
	decodeErrors     = desc("tracee_decode_errors_total", "kernel records that could not be decoded")
	outWritten       = desc("tracee_output_events_written_total", "events written by an output", "output")
	outDropped       = desc("tracee_output_events_dropped_total", "events dropped because an output's queue was full", "output")
	outFailed        = desc("tracee_output_events_failed_total", "events an output failed to write", "output")
	outQueueDepth    = desc("tracee_output_queue_depth", "events waiting in an output's queue", "output")
	outQueueSize     = desc("tracee_output_queue_size", "capacity of an output's queue", "output")
	outDelivered     = desc("tracee_output_delivered_total", "alerts the backend confirmed (Elasticsearch)", "output")
	outSpooled       = desc("tracee_output_spooled_total", "alerts written to the disk spool (overflow, outage, retry)", "output")
	outRetried       = desc("tracee_output_retries_total", "bulk items that failed retriably and were kept for retry", "output")
	outEvicted       = desc("tracee_output_spool_evicted_total", "alerts deleted from the spool for its disk budget (lost)", "output")
	outDeadLettered  = desc("tracee_output_dead_lettered_total", "alerts the backend refused even repaired (kept in the dead-letter file)", "output")
	outSpoolBytes    = desc("tracee_output_spool_bytes", "size of the output's disk spool", "output")
	outBackendDown   = desc("tracee_output_backend_down", "1 while the output's backend is unreachable and alerts are spooled", "output")
	policyReloads    = desc("tracee_policy_reloads_total", "SIGHUP reloads, by part and result", "part", "result")
	dispatchDuration = desc("tracee_engine_dispatch_duration_seconds", "time the signatures took for one event, sampled (1 event in 64)")
)

func newCollector(mon ports.AgentMonitor) *collector {
	return &collector{mon: mon, descs: []*prometheus.Desc{
		eventsTotal, eventsFiltered, lostEventsTotal, errorsTotal, sigEventsTotal, sigDetections, signaturesLoaded,
		eventsByName, sigMatched, sigErrors, sigPanics, sigDisabled, findingsTotal, findingsSuppr, findingsStorm, findingPolicyErr,
		kernelRecords, kernelLost, decodeErrors, outWritten, outDropped, outFailed, outQueueDepth, outQueueSize,
		outDelivered, outSpooled, outRetried, outEvicted, outDeadLettered, outSpoolBytes, outBackendDown,
		policyReloads, dispatchDuration,
	}}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.mon.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	errs := st.Engine.Errors + st.Engine.Panics + st.PolicyErrors
	counter(eventsTotal, st.Events)
	counter(eventsFiltered, st.Filtered)
	for name, n := range st.EventsByName {
		counter(eventsByName, n, name)
	}
	counter(sigEventsTotal, st.Engine.Events)
	counter(sigDetections, st.Engine.Findings)
	gauge(signaturesLoaded, float64(st.Engine.Signatures))
	counter(sigMatched, st.Engine.Matched)
	counter(sigErrors, st.Engine.Errors)
	counter(sigPanics, st.Engine.Panics)
	gauge(sigDisabled, float64(st.Engine.Disabled))
	for _, f := range st.Findings {
		counter(findingsTotal, f.Count, f.SignatureID, f.SignatureName, f.Severity)
	}
	counter(findingsSuppr, st.Suppressed)
	counter(findingsStorm, st.StormSuppressed)
	counter(findingPolicyErr, st.PolicyErrors)
	if s := st.Source; s != nil {
		counter(kernelRecords, s.Records)
		counter(lostEventsTotal, s.Lost)
		for cpu, n := range s.LostPerCPU {
			counter(kernelLost, n, strconv.Itoa(cpu))
		}
		counter(decodeErrors, s.DecodeErrors)
		errs += s.DecodeErrors
	}
	for _, o := range st.Outputs {
		counter(outWritten, o.Written, o.Name)
		counter(outDropped, o.Dropped, o.Name)
		counter(outFailed, o.Failed, o.Name)
		gauge(outQueueDepth, float64(o.QueueDepth), o.Name)
		gauge(outQueueSize, float64(o.QueueSize), o.Name)
		errs += o.Failed
		if sp := o.Spool; sp != nil {
			counter(outDelivered, sp.Indexed, o.Name)
			counter(outSpooled, sp.Spooled, o.Name)
			counter(outRetried, sp.Retried, o.Name)
			counter(outEvicted, sp.Evicted, o.Name)
			counter(outDeadLettered, sp.DeadLettered, o.Name)
			gauge(outSpoolBytes, float64(sp.Bytes), o.Name)
			down := 0.0
			if sp.Down {
				down = 1
			}
			gauge(outBackendDown, down, o.Name)
		}
	}
	counter(errorsTotal, errs)
	for _, r := range st.Reloads {
		counter(policyReloads, r.Count, r.Part, r.Result)
	}
	h := st.DispatchLatency
	buckets := make(map[float64]uint64, len(h.Bounds))
	for i, b := range h.Bounds {
		buckets[b.Seconds()] = h.Counts[i]
	}
	ch <- prometheus.MustNewConstHistogram(dispatchDuration, h.Count, h.Sum.Seconds(), buckets)
}
