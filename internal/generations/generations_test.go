package generations

import "testing"

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
