package app

import (
	"strconv"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// DefaultFindingRate is how many findings per second one signature may report for one process
// (or one container) before the rest of that second is summarised.
const DefaultFindingRate = 10

// stormMaxKeys bounds the limiter's memory: past it, idle keys are forgotten.
const stormMaxKeys = 65536

// stormLimiter summarises finding storms: per (signature, container or process) key it lets rate
// findings through per second of event time; the ones over are counted, and the next finding that
// goes through carries the count in its metadata (Properties["suppressedStorm"]).
// Used from the engine's goroutine only.
type stormLimiter struct {
	rate int
	keys map[string]*stormKey
}

type stormKey struct {
	second     int64 // the event-time second being counted
	count      int   // findings let through in that second
	suppressed uint64
}

func newStormLimiter(rate int) *stormLimiter {
	if rate <= 0 {
		return nil
	}
	return &stormLimiter{rate: rate, keys: map[string]*stormKey{}}
}

// allow reports whether ev goes out; when it does after a storm, ev's metadata gets the count.
// It returns how many findings it has held back for ev's key in all (for the stats).
func (l *stormLimiter) allow(ev *trace.Event) bool {
	if l == nil {
		return true
	}
	key := stormKeyOf(ev)
	sec := int64(ev.Timestamp) / 1e9
	k := l.keys[key]
	if k == nil {
		if len(l.keys) >= stormMaxKeys {
			l.forgetIdle(sec)
		}
		k = &stormKey{second: sec}
		l.keys[key] = k
	}
	if sec != k.second {
		k.second, k.count = sec, 0
	}
	if k.count >= l.rate {
		k.suppressed++
		return false
	}
	k.count++
	if k.suppressed > 0 && ev.Metadata != nil {
		props := make(map[string]interface{}, len(ev.Metadata.Properties)+1)
		for p, v := range ev.Metadata.Properties {
			props[p] = v
		}
		props["suppressedStorm"] = k.suppressed
		md := *ev.Metadata
		md.Properties = props
		ev.Metadata = &md
		k.suppressed = 0
	}
	return true
}

// forgetIdle drops the keys of earlier seconds that hold no count to report.
func (l *stormLimiter) forgetIdle(now int64) {
	for key, k := range l.keys {
		if k.second < now && k.suppressed == 0 {
			delete(l.keys, key)
		}
	}
	if len(l.keys) >= stormMaxKeys { // every key is busy: start over rather than grow
		clear(l.keys)
	}
}

func stormKeyOf(ev *trace.Event) string {
	id := domain.PropertyString(ev.Metadata.Properties, "signatureID")
	if c := ev.Container.ID; c != "" {
		return id + "\x00c" + c
	}
	if ev.ContainerID != "" {
		return id + "\x00c" + ev.ContainerID
	}
	return id + "\x00p" + strconv.Itoa(ev.HostProcessID)
}
