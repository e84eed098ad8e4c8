package generations

import "sync"

// Sync is a Map safe for concurrent use, for the caches every request
// reads: Load takes the read lock, and the write lock only to move an
// entry in use out of the old generation, once a generation at most.
type Sync[K comparable, V any] struct {
	mu sync.RWMutex
	m  *Map[K, V]
}

// NewSync returns an empty Sync of at most limit entries.
func NewSync[K comparable, V any](limit int) *Sync[K, V] {
	return &Sync[K, V]{m: New[K, V](limit)}
}

// Load returns the entry of k, moving it to the young generation when it
// was in the old one, so that entries in use outlive a flood of new ones.
func (s *Sync[K, V]) Load(k K) (V, bool) {
	s.mu.RLock()
	v, ok, old := s.m.Get(k)
	s.mu.RUnlock()
	if old {
		s.mu.Lock()
		s.m.Promote(k)
		s.mu.Unlock()
	}
	return v, ok
}

// Store sets the entry of k.
func (s *Sync[K, V]) Store(k K, v V) {
	s.mu.Lock()
	s.m.Put(k, v)
	s.mu.Unlock()
}

// Update replaces the entry of k, if there is one, with change(entry).
func (s *Sync[K, V]) Update(k K, change func(V) V) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok, _ := s.m.Get(k); ok {
		s.m.Put(k, change(v))
	}
}

// Len returns the number of entries.
func (s *Sync[K, V]) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.m.Len()
}
