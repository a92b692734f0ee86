package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
)

// errShipperClosed is what an item added after Close fails with.
var errShipperClosed = errors.New("elasticsearch bulk shipper is closed")

// bulkResult is Elasticsearch's answer for one item of a bulk request.
type bulkResult struct {
	Status int `json:"status"`
	Error  struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	} `json:"error"`
}

// bulkBatch is one _bulk request being filled or in flight: its body and the items in it, with
// where each item's document sits in the body (a failed item is rebuilt from there).
type bulkBatch struct {
	buf     []byte
	items   []*spoolItem
	offsets []int // start of each item's document in buf; its end is the next item's action line
	ends    []int
	first   time.Time // when the first item was added
}

// appendBulkItem appends the action line and document of one item: the same bytes for the sink
// and for the benchmark's raw baseline.
func appendBulkItem(dst []byte, index, id string, body []byte) (out []byte, start int) {
	dst = append(dst, `{"index":{"_index":`...)
	dst = appendJSONString(dst, index)
	dst = append(dst, `,"_id":`...)
	dst = appendJSONString(dst, id)
	dst = append(dst, "}}\n"...)
	start = len(dst)
	dst = append(dst, body...)
	return append(dst, '\n'), start
}

// bulkFilterPath keeps a bulk response to what the shipper reads.
var bulkFilterPath = []string{"errors", "items.*.status", "items.*.error.type", "items.*.error.reason"}

// bulkShipper sends items in _bulk requests of about flushBytes over at most workers concurrent
// requests (connections). One goroutine (the sink's loop) adds and flushes; workers post and
// report every item to done or fail. Buffers are reused: in steady state nothing is allocated
// per item.
type bulkShipper struct {
	client     *elasticsearch.Client
	flushBytes int
	timeout    time.Duration
	done       func(*spoolItem)
	fail       func(*spoolItem, bulkResult, error)
	copied     func(*spoolItem) // the item's document is in the request: its buffer can be reused

	cur      *bulkBatch
	work     chan *bulkBatch
	free     chan *bulkBatch
	inflight sync.WaitGroup
	workers  sync.WaitGroup
	closed   bool
}

func newBulkShipper(client *elasticsearch.Client, workers, flushBytes int, timeout time.Duration,
	done func(*spoolItem), fail func(*spoolItem, bulkResult, error), copied func(*spoolItem)) *bulkShipper {
	b := &bulkShipper{client: client, flushBytes: flushBytes, timeout: timeout, done: done, fail: fail,
		copied: copied, work: make(chan *bulkBatch), free: make(chan *bulkBatch, workers+1)}
	for range workers + 1 {
		b.free <- &bulkBatch{}
	}
	for range workers {
		b.workers.Add(1)
		go b.worker()
	}
	return b
}

// add appends an item to the request being filled and sends it once it is full. It blocks while
// every worker is busy: the sink's memory queue and spool absorb the wait.
func (b *bulkShipper) add(it *spoolItem) {
	if b.closed {
		b.fail(it, bulkResult{}, errShipperClosed)
		return
	}
	if b.cur == nil {
		b.cur = <-b.free
		b.cur.first = time.Now()
		if b.cur.buf == nil { // once per buffer: room for a full request and the item that ends it
			b.cur.buf = make([]byte, 0, b.flushBytes+64<<10)
		}
	}
	c := b.cur
	var start int
	c.buf, start = appendBulkItem(c.buf, it.Index, it.ID, it.Body)
	c.items = append(c.items, it)
	c.offsets = append(c.offsets, start)
	c.ends = append(c.ends, len(c.buf)-1)
	if b.copied != nil {
		b.copied(it) // before the request can reach a worker, which may touch the item
	}
	if len(c.buf) >= b.flushBytes {
		b.send()
	}
}

// pending is the number of items in the request being filled and how long the oldest waited.
func (b *bulkShipper) pending() (int, time.Duration) {
	if b.cur == nil {
		return 0, 0
	}
	return len(b.cur.items), time.Since(b.cur.first)
}

// send hands the request being filled to a worker.
func (b *bulkShipper) send() {
	if b.cur == nil {
		return
	}
	b.inflight.Add(1)
	b.work <- b.cur
	b.cur = nil
}

// flush sends what is being filled and waits until every request in flight was answered (or
// failed), or ctx ends.
func (b *bulkShipper) flush(ctx context.Context) error {
	b.send()
	done := make(chan struct{})
	go func() { b.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close flushes (until ctx ends) and stops the workers; later adds fail.
func (b *bulkShipper) close(ctx context.Context) error {
	if b.closed {
		return nil
	}
	err := b.flush(ctx)
	b.closed = true
	close(b.work) // workers finish what they hold, then return
	return err
}

func (b *bulkShipper) worker() {
	defer b.workers.Done()
	var resp bytes.Buffer
	for batch := range b.work {
		b.post(batch, &resp)
		clear(batch.items)
		batch.buf, batch.items, batch.offsets, batch.ends = batch.buf[:0], batch.items[:0], batch.offsets[:0], batch.ends[:0]
		b.inflight.Done()
		b.free <- batch
	}
}

// post sends one request and reports each item. Elasticsearch answers items in request order.
func (b *bulkShipper) post(batch *bulkBatch, resp *bytes.Buffer) {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	res, err := b.client.Bulk(bytes.NewReader(batch.buf), b.client.Bulk.WithContext(ctx),
		b.client.Bulk.WithFilterPath(bulkFilterPath...))
	if err != nil {
		b.failAll(batch, bulkResult{}, fmt.Errorf("bulk request: %w", err))
		return
	}
	defer res.Body.Close()
	resp.Reset()
	if _, err := resp.ReadFrom(res.Body); err != nil {
		b.failAll(batch, bulkResult{}, fmt.Errorf("bulk response: %w", err))
		return
	}
	if res.StatusCode >= 300 {
		r := bulkResult{Status: res.StatusCode}
		b.failAll(batch, r, fmt.Errorf("bulk request: HTTP %d: %s", res.StatusCode, truncateN(resp.String(), 300)))
		return
	}
	body := resp.Bytes()
	// the usual answer: nothing failed, no item needs reading
	if bytes.HasPrefix(body, []byte(`{"errors":false`)) {
		for _, it := range batch.items {
			b.done(it)
		}
		return
	}
	var parsed struct {
		Errors bool                    `json:"errors"`
		Items  []map[string]bulkResult `json:"items"`
	}
	if err := json.Unmarshal(body, &parsed); err != nil || len(parsed.Items) != len(batch.items) {
		if err == nil {
			err = fmt.Errorf("%d answers for %d items", len(parsed.Items), len(batch.items))
		}
		b.failAll(batch, bulkResult{}, fmt.Errorf("bulk response: %w", err))
		return
	}
	for i, it := range batch.items {
		var r bulkResult
		for _, x := range parsed.Items[i] {
			r = x
		}
		if r.Status >= 200 && r.Status < 300 {
			b.done(it)
			continue
		}
		b.fail(b.detach(batch, i), r, nil)
	}
}

func (b *bulkShipper) failAll(batch *bulkBatch, r bulkResult, err error) {
	for i := range batch.items {
		b.fail(b.detach(batch, i), r, err)
	}
}

// detach gives a failed item its own copy of its document (the batch's buffer is reused).
func (b *bulkShipper) detach(batch *bulkBatch, i int) *spoolItem {
	it := batch.items[i]
	it.Body = bytes.Clone(batch.buf[batch.offsets[i]:batch.ends[i]])
	return it
}
