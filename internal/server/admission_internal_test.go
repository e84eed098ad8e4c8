package server

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestGateBoundsWaiting: past its turns a gate lets waitFactor times as
// many requests wait, hands a freed turn to the first of them, and
// refuses the one beyond at once, without waiting.
func TestGateBoundsWaiting(t *testing.T) {
	g := newGate(1, time.Hour)
	ctx := context.Background()
	if !g.enter(ctx) {
		t.Fatal("first request refused")
	}
	waited := make(chan int, waitFactor)
	for i := range waitFactor {
		go func() {
			if g.enter(ctx) {
				waited <- i
			}
		}()
		for g.waiting.Load() != int64(i+1) { // one after the other: in order
			time.Sleep(time.Millisecond)
		}
	}
	start := time.Now()
	if g.enter(ctx) {
		t.Fatal("a request past the waiting bound was admitted")
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("the refusal past the waiting bound took %v, want at once", took)
	}
	for want := range waitFactor {
		g.leave()
		if got := <-waited; got != want {
			t.Fatalf("the freed turn went to waiting request %d, want %d (first come first served)", got, want)
		}
	}
	g.leave()
}

// TestGateWaitEnds: a request that finds no turn within the wait, or
// whose client leaves, is refused.
func TestGateWaitEnds(t *testing.T) {
	g := newGate(1, 20*time.Millisecond)
	g.enter(context.Background())
	start := time.Now()
	if g.enter(context.Background()) {
		t.Fatal("admitted with the only turn taken")
	}
	t.Logf("refused after %v (wait 20 ms)", time.Since(start))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g.maxWait = time.Hour
	if g.enter(ctx) {
		t.Fatal("admitted after the client left")
	}
	if n := g.waiting.Load(); n != 0 {
		t.Errorf("%d still counted as waiting", n)
	}
}

// TestPreread: what the handler reads of a body read before admission
// is the whole body, whatever its length or encoding.
func TestPreread(t *testing.T) {
	big := strings.Repeat("x", maxPreread+1000)
	tests := []struct {
		name    string
		body    string
		chunked bool
		read    bool // whether it is read before admission
	}{
		{"small", "grant_type=client_credentials", false, true},
		{"at the bound", big[:maxPreread], false, true},
		{"over the bound", big, false, false},
		{"chunked, small", "abc", true, true},
		{"chunked, over the bound", big, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/v1/events", io.NopCloser(strings.NewReader(tt.body)))
			r.ContentLength = int64(len(tt.body))
			if tt.chunked {
				r.ContentLength = -1
			}
			p := preread(r)
			if (p != nil) != tt.read {
				t.Fatalf("read before admission: %v, want %v", p != nil, tt.read)
			}
			got, err := io.ReadAll(r.Body)
			if err != nil || !bytes.Equal(got, []byte(tt.body)) {
				t.Errorf("handler read %d bytes (%v), want the body's %d", len(got), err, len(tt.body))
			}
			if p != nil {
				p.free()
			}
		})
	}
}

// TestPrereadFailure: a body that breaks off is seen broken by the
// handler, after the bytes that came.
func TestPrereadFailure(t *testing.T) {
	r := httptest.NewRequest("POST", "/as/token", io.MultiReader(strings.NewReader("abc"), iotestErr{}))
	r.ContentLength = 10
	p := preread(r)
	defer p.free()
	got, err := io.ReadAll(r.Body)
	if string(got) != "abc" || err != errBroken {
		t.Errorf("read %q, %v; want abc, %v", got, err, errBroken)
	}
}

var errBroken = io.ErrClosedPipe

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errBroken }
