package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"keyhouse"
)

// TestSignInFloodMemory replays the memory attack on a real
// `keyhouse serve` process (built from this package, default settings):
// 200 concurrent sign-ins with random e-mails from 10 loopback addresses,
// sent again as soon as answered. The server's peak RSS (VmHWM) must rise
// by at most 100 MB over its peak before the flood, the refused sign-ins
// are 503 with Retry-After (or 429 once a source is throttled), and the
// Owner's sign-in during the flood, from another address, succeeds.
func TestSignInFloodMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and floods a real server")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc to read the server's peak RSS")
	}
	dir := t.TempDir()
	srv := startProcess(t, buildKeyhouse(t), "serve", "--addr", "127.0.0.1:0", "--db", "sqlite:"+filepath.Join(dir, "kh.db"))
	password, secret := srv.owner(t)
	signIn := map[string]string{"email": "owner@acme.example", "password": password, "otp": code(t, secret, 0)}
	srv.call(t, "", "POST", "/api/v1/sessions", signIn, 201, nil) // one hash, as any day
	before := srv.peakRSS(t)

	ctx, stop := context.WithCancel(context.Background())
	var answers sync.Map // status → *atomic.Int64
	var sent atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		client := clientFrom(fmt.Sprintf("127.0.0.%d", 2+i%10))
		wg.Go(func() {
			for ctx.Err() == nil {
				status, retry := flood(ctx, client, srv.base)
				if status == 0 {
					continue
				}
				if status == 503 && retry == "" {
					status = -503 // a 503 without Retry-After
				}
				n, _ := answers.LoadOrStore(status, new(atomic.Int64))
				n.(*atomic.Int64).Add(1)
				sent.Add(1)
			}
		})
	}
	for sent.Load() < 200 { // the flood is on
		time.Sleep(10 * time.Millisecond)
	}
	signIn["otp"] = code(t, secret, 1)
	start := time.Now()
	tries := ownerSignIn(t, srv, signIn)
	t.Logf("the Owner's sign-in took %v during the flood (%d tries)", time.Since(start), tries)
	stop()
	wg.Wait()

	after := srv.peakRSS(t)
	counts := map[int]int64{}
	answers.Range(func(k, v any) bool { counts[k.(int)] = v.(*atomic.Int64).Load(); return true })
	t.Logf("peak RSS %d MiB before the flood, %d MiB after; answers %v", before>>20, after>>20, counts)
	if after-before > 100_000_000 {
		t.Errorf("the flood raised the peak RSS by %d MiB, want at most 100 MB", (after-before)>>20)
	}
	for status := range counts {
		if status != 401 && status != 429 && status != 503 {
			t.Errorf("%d answers with status %d (-503: no Retry-After)", counts[status], status)
		}
	}
	if counts[503] == 0 {
		t.Error("no sign-in was refused for want of a hashing turn: the flood did not reach the bound")
	}
}

// ownerSignIn signs in as a person's client would during the flood: a
// 503 says to retry after Retry-After, which it does, three tries at
// most. It returns the tries it took.
func ownerSignIn(t *testing.T, srv *process, signIn map[string]string) int {
	t.Helper()
	body, _ := json.Marshal(signIn)
	for try := 1; ; try++ {
		resp, err := http.Post(srv.base+"/api/v1/sessions", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusCreated:
			return try
		case resp.StatusCode == http.StatusServiceUnavailable && try < 3:
			wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
			if err != nil {
				t.Fatalf("503 without a Retry-After in seconds: %q", resp.Header.Get("Retry-After"))
			}
			time.Sleep(time.Duration(wait) * time.Second)
		default:
			t.Fatalf("the Owner's sign-in, try %d: status %d: %s", try, resp.StatusCode, b)
		}
	}
}

// clientFrom returns an HTTP client whose connections come from ip.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: d.DialContext, MaxIdleConnsPerHost: 100,
	}}
}

// flood sends one sign-in of a random e-mail and returns the status and
// Retry-After; 0 when the request did not complete.
func flood(ctx context.Context, c *http.Client, base string) (int, string) {
	body := fmt.Sprintf(`{"email":"%s@flood.example","password":"Wrong-password-1","otp":"123456"}`, keyhouse.RandomBase62(10))
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/sessions", strings.NewReader(body))
	resp, err := c.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// process is a `keyhouse serve` running as a process of its own.
type process struct {
	instance
	cmd *exec.Cmd
}

// startProcess runs bin with args, with no KEYHOUSE_, GOGC or GOMEMLIMIT
// variables (the defaults are measured), and waits for its address.
func startProcess(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KEYHOUSE_") && !strings.HasPrefix(kv, "GOGC=") && !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	log := &syncBuffer{}
	lines := bufio.NewScanner(stderr)
	addr := regexp.MustCompile(`keyhouse listening" addr=(\S+)`)
	for lines.Scan() {
		log.Write(append(lines.Bytes(), '\n'))
		if m := addr.FindSubmatch(lines.Bytes()); m != nil {
			go func() { _, _ = io.Copy(log, stderr) }()
			return &process{instance: instance{base: "http://" + string(m[1]), log: log}, cmd: cmd}
		}
	}
	t.Fatalf("serve did not start:\n%s", log.String())
	return nil
}

// owner creates the first organization and activates its Owner, and
// returns the Owner's password and TOTP secret.
func (p *process) owner(t *testing.T) (string, string) {
	t.Helper()
	m := regexp.MustCompile(`setup_url="?\S+token=(khl_[A-Za-z0-9]+)`).FindStringSubmatch(p.log.String())
	if m == nil {
		t.Fatalf("no setup link in the log:\n%s", p.log.String())
	}
	var created struct{ OrganizationID, ActivationURL string }
	p.call(t, "", "POST", "/api/v1/setup", map[string]string{"token": m[1], "organization_name": "Acme", "owner_email": "owner@acme.example"}, 201, &jsonCase{&created})
	act := strings.SplitN(created.ActivationURL, "token=", 2)[1]
	password := "Correct-Horse-9battery"
	var enr struct{ TOTPSecret string }
	p.call(t, "", "POST", "/api/v1/activations", map[string]string{"token": act, "password": password}, 200, &jsonCase{&enr})
	p.call(t, "", "POST", "/api/v1/activations/confirm", map[string]string{"token": act, "otp": code(t, enr.TOTPSecret, -1)}, 200, nil)
	return password, enr.TOTPSecret
}

// peakRSS returns the process's peak resident set size (VmHWM), in bytes.
func (p *process) peakRSS(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range bytes.Lines(b) {
		if f := strings.Fields(string(line)); len(f) == 3 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}
