// Package generations is a bounded map for caches of what outsiders
// send (made-up credentials, tokens): it forgets in halves rather than all
// at once, so that a flood of new entries costs each entry in use at most
// one more look-up, never the whole cache.
package generations

// Map is a map of at most limit entries that forgets in halves:
// entries go into the young generation; once it holds limit/2, the old
// generation is dropped and the young one takes its place. An entry
// found in the old generation can be moved back to the young one
// (Promote), so that what is in use outlives a flood of new entries. It
// does no locking.
type Map[K comparable, V any] struct {
	young, old map[K]V
	half       int
}

// New returns an empty Map of at most limit entries.
func New[K comparable, V any](limit int) *Map[K, V] {
	return &Map[K, V]{young: map[K]V{}, old: map[K]V{}, half: max(limit/2, 1)}
}

// Get returns the value of k, whether it is there, and whether it is in
// the old generation.
func (g *Map[K, V]) Get(k K) (v V, ok, old bool) {
	if v, ok = g.young[k]; ok {
		return v, true, false
	}
	v, ok = g.old[k]
	return v, ok, ok
}

// Put sets the value of k in the young generation, first making it the
// old one if it is full.
func (g *Map[K, V]) Put(k K, v V) {
	if _, ok := g.young[k]; !ok {
		delete(g.old, k)
		if len(g.young) >= g.half {
			g.old, g.young = g.young, make(map[K]V, len(g.young)/2)
		}
	}
	g.young[k] = v
}

// Promote moves k, if it is in the old generation, to the young one.
func (g *Map[K, V]) Promote(k K) {
	if v, ok := g.old[k]; ok {
		g.Put(k, v)
	}
}

// Len returns the number of entries.
func (g *Map[K, V]) Len() int { return len(g.young) + len(g.old) }
