package generations

import (
	"sync"
	"testing"
)

// TestGenerations: a flood of new entries keeps the map at or under its
// bound, never empties it (once full it keeps at least half), and an
// entry used every so often stays.
func TestGenerations(t *testing.T) {
	const limit = 1000
	g := New[int, int](limit)
	g.Put(-1, -1) // in use
	full := false
	for i := range 10 * limit {
		g.Put(i, i)
		n := g.Len()
		if n > limit {
			t.Fatalf("%d entries after %d puts, bound %d", n, i+1, limit)
		}
		if full && n < limit/2 {
			t.Fatalf("%d entries after %d puts: the map was emptied", n, i+1)
		}
		full = full || n >= limit*9/10
		if i%(limit/4) == 0 {
			if _, ok, old := g.Get(-1); !ok {
				t.Fatalf("the entry in use was forgotten after %d puts", i+1)
			} else if old {
				g.Promote(-1)
			}
		}
	}
	if !full {
		t.Error("the map never filled")
	}
	if v, ok, _ := g.Get(10*limit - 1); !ok || v != 10*limit-1 {
		t.Errorf("the newest entry: %d, %v", v, ok)
	}
}

// TestSync: Load, Store and Update from many goroutines at once keep the
// bound, an entry loaded now and then survives the churn (Load promotes
// it), and Update changes an entry that is there and adds none.
func TestSync(t *testing.T) {
	const limit = 1000
	s := NewSync[int, int](limit)
	s.Store(-1, 0)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 5 * limit {
				s.Store(w*10*limit+i, i)
				// Every 50 puts of each of 4 writers: about 200 puts between
				// two loads, well under the limit/2 that turn a generation
				// over.
				if i%50 == 0 {
					if _, ok := s.Load(-1); !ok {
						t.Errorf("the entry in use was forgotten")
						return
					}
					s.Update(-1, func(v int) int { return v + 1 })
				}
			}
		})
	}
	wg.Wait()
	if n := s.Len(); n > limit {
		t.Errorf("%d entries, bound %d", n, limit)
	}
	if v, ok := s.Load(-1); !ok || v != 4*100 {
		t.Errorf("the entry in use: %d, %v; want 400 updates", v, ok)
	}
	s.Update(-2, func(int) int { return 1 })
	if _, ok := s.Load(-2); ok {
		t.Error("Update added an entry")
	}
}
