package domain

import "container/list"

// boundedMap is a map of at most max entries that forgets the least recently touched one: the
// agent's data sources follow every process and container of the host and must not grow forever.
type boundedMap[K comparable, V any] struct {
	max   int
	order *list.List // front: most recently touched; values are K
	items map[K]*boundedEntry[K, V]
}

type boundedEntry[K comparable, V any] struct {
	value V
	elem  *list.Element
}

func newBoundedMap[K comparable, V any](max int) *boundedMap[K, V] {
	return &boundedMap[K, V]{max: max, order: list.New(), items: map[K]*boundedEntry[K, V]{}}
}

// get returns the value without touching it.
func (m *boundedMap[K, V]) get(k K) (V, bool) {
	e, ok := m.items[k]
	if !ok {
		var zero V
		return zero, false
	}
	return e.value, true
}

// upsert returns the value of k, creating it with mk when absent, and marks it recently used.
func (m *boundedMap[K, V]) upsert(k K, mk func() V) V {
	if e, ok := m.items[k]; ok {
		m.order.MoveToFront(e.elem)
		return e.value
	}
	e := &boundedEntry[K, V]{value: mk()}
	e.elem = m.order.PushFront(k)
	m.items[k] = e
	for m.max > 0 && len(m.items) > m.max {
		oldest := m.order.Back()
		m.order.Remove(oldest)
		delete(m.items, oldest.Value.(K))
	}
	return e.value
}

func (m *boundedMap[K, V]) len() int { return len(m.items) }
