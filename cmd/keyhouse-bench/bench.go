package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"keyhouse/internal/seal"
	"keyhouse/internal/sqlstore"
)

// bench runs the whole measurement cfg asks for and returns its report.
// Progress goes to log.
func bench(ctx context.Context, cfg *config, log io.Writer) (*report, error) {
	if _, err := exec.LookPath("wrk"); err != nil {
		return nil, errors.New("wrk is not installed: apt-get install -y wrk")
	}
	dir, err := os.MkdirTemp("", "keyhouse-bench-*")
	if err != nil {
		return nil, err
	}
	if cfg.Keep {
		logf(log, "scratch directory: %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if cfg.JSON == "" {
		cfg.JSON = filepath.Join(os.TempDir(), "keyhouse-bench-"+time.Now().Format("20060102-150405")+".json")
	}
	r := &runner{cfg: cfg, dir: dir, script: filepath.Join(dir, "load.lua"), creds: map[string]string{}}
	if err := os.WriteFile(r.script, loadScript, 0o600); err != nil {
		return nil, err
	}
	bin := cfg.Keyhouse
	if bin == "" {
		if bin, err = buildKeyhouse(ctx, dir); err != nil {
			return nil, err
		}
	}
	rep := &report{Started: time.Now().UTC(), Config: cfg, Machine: describeMachine(cfg)}
	var base *target
	if cfg.Baseline {
		p, url, err := startBaseline(ctx, dir)
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		defer p.stop()
		base = &target{Name: "baseline", URL: url, Proc: p}
	}
	for _, keys := range cfg.Keys {
		if err = r.runKeys(ctx, rep, bin, keys, base, log); err != nil {
			break
		}
	}
	rep.Targets, rep.Problems = judgeTargets(rep.Results), problems(rep.Results)
	rep.OverloadTargets = overloadVerdicts(rep.Results)
	if werr := writeJSON(cfg.JSON, rep); werr != nil && err == nil {
		err = fmt.Errorf("write JSON: %w", werr)
	}
	return rep, err
}

// describeMachine says where the figures come from.
func describeMachine(cfg *config) machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), DB: "sqlite"}
	if cfg.DB != "sqlite" && cfg.DB != "" {
		m.DB = "postgres"
	}
	if out, err := exec.Command("wrk", "-v").CombinedOutput(); err == nil || len(out) > 0 {
		m.Wrk, _, _ = strings.Cut(string(out), "\n")
	}
	return m
}

// logf prints one progress line.
func logf(log io.Writer, format string, args ...any) {
	fmt.Fprintf(log, "keyhouse-bench: "+format+"\n", args...)
}

// runKeys measures every scenario and connection count on a keyhouse
// with keys API keys, each run followed by the same against the baseline.
func (r *runner) runKeys(ctx context.Context, rep *report, bin string, keys int, base *target, log io.Writer) error {
	sv, err := r.startKeyhouse(ctx, bin, keys, log)
	if sv != nil {
		defer sv.close()
	}
	if err != nil {
		return err
	}
	for _, conns := range r.cfg.Conns {
		for _, name := range r.cfg.Scenarios {
			if name == overloadName {
				if err := r.overload(ctx, rep, sv, base, keys, log); err != nil {
					return err
				}
				continue
			}
			sc, _ := findScenario(name)
			res, err := r.measure(ctx, sc, sv.target, keys, conns)
			if err != nil {
				return err
			}
			res.StartRSSMB = sv.startRSSMB
			rep.Results = append(rep.Results, res)
			if base != nil {
				b, err := r.measure(ctx, sc, base, keys, conns)
				if err != nil {
					return err
				}
				res.compare(b)
				rep.Results = append(rep.Results, b)
			}
			logf(log, "%-13s %7d keys %3d conns: %8.0f req/s (%s of baseline), p99 %.2f ms, %s; other processes %.2f cores",
				sc.Name, keys, conns, res.RequestsPerS, dash(res.Ratio*100, "%.1f %%"), res.Latency.P99, checkText(res.Check), res.OtherCPU/res.Seconds)
		}
	}
	return nil
}

// server is a keyhouse serve under test, with the bench's own handle on
// its database.
type server struct {
	target     *target
	store      *sqlstore.Store
	db         *database
	startRSSMB float64 // peak RSS once the keys are loaded and the tokens fetched
}

// close stops the server and drops its database.
func (s *server) close() {
	if s.target != nil {
		s.target.Proc.stop()
	}
	if s.store != nil {
		s.store.Close()
	}
	s.db.drop()
}

// startKeyhouse provisions a fresh database with keys API keys, starts
// keyhouse serve on it, waits until it answers, and fetches the access
// tokens of the intake scenarios. The credentials files are r.creds.
func (r *runner) startKeyhouse(ctx context.Context, bin string, keys int, log io.Writer) (*server, error) {
	name := fmt.Sprintf("keys-%d", keys)
	db, err := newDatabase(ctx, r.cfg.DB, r.dir, name)
	if err != nil {
		return nil, err
	}
	sv := &server{db: db}
	secretFile := filepath.Join(r.dir, name+".secret")
	secret, _, err := seal.LoadKeyFile(secretFile, true)
	if err != nil {
		return sv, err
	}
	if sv.store, err = sqlstore.Open(ctx, db.DSN); err != nil {
		return sv, err
	}
	t0 := time.Now()
	apiKeys, err := provision(ctx, sv.store, secret, keys, provisionWorkers(db))
	if err != nil {
		return sv, err
	}
	logf(log, "provisioned %d keys in %v", keys, time.Since(t0).Round(time.Millisecond))
	// apiKeys are shuffled: the first -spread of them are a sample of all.
	if err := r.writeCreds(credKeys, name, apiKeys[:min(len(apiKeys), r.cfg.Spread)]); err != nil {
		return sv, err
	}
	addr, err := freeAddr()
	if err != nil {
		return sv, err
	}
	args := []string{"serve", "--db", db.DSN, "--secret-file", secretFile, "--addr", addr}
	p, err := start(bin, args, filepath.Join(r.dir, name+".log"))
	if err != nil {
		return sv, err
	}
	sv.target = &target{Name: "keyhouse", URL: "http://" + addr, Proc: p, DB: sv.store.DB()}
	t0 = time.Now()
	if err := waitHealthy(ctx, sv.target.URL+"/healthz", p, 5*time.Minute); err != nil {
		return sv, err
	}
	logf(log, "keyhouse ready in %v", time.Since(t0).Round(time.Millisecond))
	return sv, r.prepareTokens(ctx, sv, name, apiKeys)
}

// provisionWorkers is how many transactions provision at once: SQLite
// has one writer.
func provisionWorkers(db *database) int {
	if strings.HasPrefix(db.DSN, "sqlite:") {
		return 1
	}
	return 4
}

// prepareTokens fetches the access tokens of the intake scenarios and
// notes the server's peak RSS so far.
func (r *runner) prepareTokens(ctx context.Context, sv *server, name string, apiKeys []string) error {
	tokens, err := fetchTokens(ctx, sv.target.URL, apiKeys, r.cfg.Tokens)
	if err != nil {
		return err
	}
	if err := r.writeCreds(credTokens, name, tokens); err != nil {
		return err
	}
	if err := r.writeCreds(credToken, name, tokens[:1]); err != nil {
		return err
	}
	rss, err := peakRSS(sv.target.Proc.pid())
	sv.startRSSMB = float64(rss) / (1 << 20)
	return err
}

// writeCreds writes one credential a line for load.lua.
func (r *runner) writeCreds(kind, name string, creds []string) error {
	path := filepath.Join(r.dir, name+"-"+kind+".txt")
	r.creds[kind] = path
	return os.WriteFile(path, []byte(strings.Join(creds, "\n")+"\n"), 0o600)
}
