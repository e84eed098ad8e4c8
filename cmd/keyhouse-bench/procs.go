package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat:
// 100 on every Linux architecture Go runs on.
const clockTicks = 100

// process is a server started by the bench: keyhouse serve or the
// baseline.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when it has exited
	err  error         // its exit, once done is closed
	log  string        // the file its standard output and error go to
}

// start runs name with args, its output appended to logPath. extra are
// files it inherits from descriptor 3 on. It dies with the bench.
func start(name string, args []string, logPath string, extra ...*os.File) (*process, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child has its own copy
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr, cmd.ExtraFiles = logf, logf, extra
	cmd.Env = withoutKeyhouseEnv(os.Environ())
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", filepath.Base(name), err)
	}
	p := &process{cmd: cmd, done: make(chan struct{}), log: logPath}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

// withoutKeyhouseEnv drops KEYHOUSE_* variables: the server is
// configured by its flags alone.
func withoutKeyhouseEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "KEYHOUSE_") {
			out = append(out, kv)
		}
	}
	return out
}

// pid returns the process id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// stop ends the process with SIGTERM, and SIGKILL after 15 seconds.
func (p *process) stop() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
	return nil
}

// tail returns the end of the process's log, for error messages.
func (p *process) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// waitHealthy polls url until it answers 200, the process exits or
// timeout passes.
func waitHealthy(ctx context.Context, url string, p *process, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready (%v):\n%s", filepath.Base(p.cmd.Path), p.err, p.tail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v:\n%s", url, timeout, p.tail())
		}
	}
}

// freeAddr returns a loopback address nobody listens on at the moment.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// buildKeyhouse builds cmd/keyhouse of the current module into dir.
func buildKeyhouse(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "keyhouse")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "keyhouse/cmd/keyhouse")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build keyhouse/cmd/keyhouse (run inside the keyhouse module, or pass -keyhouse): %w\n%s", err, out)
	}
	return bin, nil
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	ticks, err := parseStatCPU(b)
	return time.Duration(ticks) * time.Second / clockTicks, err
}

// parseStatCPU returns utime + stime, in clock ticks, of a
// /proc/<pid>/stat line. The command name (field 2) may hold spaces and
// parentheses: fields are counted from the last ')'.
func parseStatCPU(stat []byte) (int64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("stat: no command name")
	}
	fields := strings.Fields(string(stat[i+1:]))
	// fields[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(fields) < 13 {
		return 0, errors.New("stat: too few fields")
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("stat: %w", err)
	}
	return utime + stime, nil
}

// peakRSS returns the process's peak resident set size (VmHWM), in bytes.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmHWM(b)
}

// currentRSS returns the process's resident set size now (VmRSS), in
// bytes.
func currentRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseStatusKB(b, "VmRSS")
}

// parseVmHWM returns the VmHWM of a /proc/<pid>/status, in bytes.
func parseVmHWM(status []byte) (int64, error) { return parseStatusKB(status, "VmHWM") }

// parseStatusKB returns the field name (in kB) of a /proc/<pid>/status,
// in bytes.
func parseStatusKB(status []byte, name string) (int64, error) {
	for line := range strings.Lines(string(status)) {
		rest, ok := strings.CutPrefix(line, name+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("status: %s: %w", name, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("status: no %s", name)
}

// resetPeakRSS makes VmHWM start again from the current RSS (Linux 4.0+),
// so that each run reports its own peak. It is best effort.
func resetPeakRSS(pid int) {
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// machineBusy returns the CPU time every process of the machine has used
// since boot: the first line of /proc/stat without idle and iowait.
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	ticks, err := parseProcStat(b)
	return time.Duration(ticks) * time.Second / clockTicks, err
}

// parseProcStat returns the busy ticks of the "cpu" line of /proc/stat:
// user, nice, system, irq, softirq and steal.
func parseProcStat(stat []byte) (int64, error) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	fields := strings.Fields(string(line))
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, errors.New("/proc/stat: no cpu line")
	}
	var busy int64
	for i, f := range fields[1:9] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, nil
}
