package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// inspect holds the page in the tab to what every console page owes
// people: no accessibility violation of impact serious or critical
// (axe-core), and at 1280 and 390 pixels wide no sideways scrolling and
// no element running out of its card. name says which page and state it is.
func inspect(t *testing.T, b *tab, name string) {
	t.Helper()
	if os.Getenv("KEYHOUSE_TEST_BACKEND") == "postgres" {
		return // the pages' markup does not depend on the database (see skipInspectOnPostgres)
	}
	runAxe(t, b, name)
	for _, problem := range eval[[]string](b, overflowScript) {
		t.Errorf("%s at 1280 px: %s", name, problem)
	}
	b.do(chromedp.EmulateViewport(390, 844))
	defer b.do(chromedp.EmulateViewport(1280, 900))
	for _, problem := range eval[[]string](b, overflowScript) {
		t.Errorf("%s at 390 px: %s", name, problem)
	}
}

// skipInspectOnPostgres skips a test that only inspects pages in CI's
// second run, on PostgreSQL: what inspect checks is the same on both
// databases, and the browser's time is the run's largest part.
func skipInspectOnPostgres(t *testing.T) {
	if os.Getenv("KEYHOUSE_TEST_BACKEND") == "postgres" {
		t.Skip("inspect runs on SQLite only: the pages do not depend on the database")
	}
}

// overflowScript lists what does not fit at the current width: the page
// wider than the viewport, and any visible element reaching past the
// left or right edge of its card (a card, a client row, an open dialog,
// the header), unless a scrolling box between them holds it.
const overflowScript = `(() => {
  const out = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) {
    out.push("the page scrolls sideways: " + root.scrollWidth + " px wide in " + root.clientWidth);
  }
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\s+/).join(".") : "");
  const scrolls = (el, box) => {
    for (let p = el.parentElement; p && p !== box; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.overflowX !== "visible" || s.clip !== "auto") return true;
    }
    return false;
  };
  for (const box of document.querySelectorAll(".card, .client, dialog[open], .topbar-inner, .main, .footer")) {
    const r = box.getBoundingClientRect();
    if (r.width === 0) continue;
    for (const el of box.querySelectorAll("*")) {
      const e = el.getBoundingClientRect();
      if (e.width <= 1 || e.height <= 1 || scrolls(el, box)) continue;
      if (e.right > r.right + 1 || e.left < r.left - 1) {
        out.push(name(el) + " (" + Math.round(e.left) + "–" + Math.round(e.right) + ") runs out of " +
          name(box) + " (" + Math.round(r.left) + "–" + Math.round(r.right) + ")");
      }
    }
  }
  return [...new Set(out)].slice(0, 10);
})()`

// axeSource is axe-core's script, read once: $KEYHOUSE_AXE, or where
// .ci/run installs it.
var axeSource = sync.OnceValues(func() (string, error) {
	path := os.Getenv("KEYHOUSE_AXE")
	if path == "" {
		home, _ := os.UserHomeDir()
		path = filepath.Join(home, ".cache", "keyhouse-axe", "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(path)
	return string(b), err
})

// axeViolation is one failed axe-core rule.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// runAxe injects axe-core into the page and fails the test for every
// violation of impact serious or critical. Without axe-core the check is
// skipped with a note, except in CI (KEYHOUSE_REQUIRE_BROWSER=1), where it
// fails.
func runAxe(t *testing.T, b *tab, name string) {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		if os.Getenv("KEYHOUSE_REQUIRE_BROWSER") == "1" {
			t.Fatalf("axe-core is missing (npm install --prefix ~/.cache/keyhouse-axe axe-core, or set KEYHOUSE_AXE): %v", err)
		}
		t.Logf("accessibility check skipped: %v", err)
		return
	}
	if !eval[bool](b, `typeof window.axe === "object"`) {
		eval[chromedp.Void](b, src+"\n;undefined")
	}
	raw := eval[string](b, `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(
		r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
			id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))))`)
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		t.Fatalf("axe answer %q: %v", raw, err)
	}
	for _, v := range vs {
		t.Errorf("%s: accessibility (%s) %s: %s, at %s", name, v.Impact, v.ID, v.Help, strings.Join(v.Nodes, "; "))
	}
}

// signOut signs out through the account menu and waits for the sign-in
// page.
func signOut(b *tab) {
	b.t.Helper()
	b.click(".account-button")
	b.click(".account-signout")
	b.heading("Sign in to keyhouse")
}
