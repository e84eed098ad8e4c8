package server_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's Chromium with chromedp: one browser per
// test process, started on first use and stopped by TestMain, and a tab
// in its own browser context (its own cookies) per test. Without Chromium
// they skip, unless KEYHOUSE_REQUIRE_BROWSER=1 (CI), where that fails.

var chromium struct {
	once    sync.Once
	ctx     context.Context // the browser; tabs are its children
	stop    func()
	dir     string // the fresh user data directory
	skipped string // why there is no browser
	err     error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chromium.stop != nil {
		chromium.stop()
	}
	if chromium.dir != "" {
		os.RemoveAll(chromium.dir)
	}
	os.Exit(code)
}

// chromiumPath returns the browser to drive: $KEYHOUSE_CHROMIUM, or
// Debian's chromium.
func chromiumPath() (string, error) {
	if p := os.Getenv("KEYHOUSE_CHROMIUM"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no chromium on PATH (apt-get install -y chromium)")
}

func startChromium() {
	path, err := chromiumPath()
	if err != nil {
		chromium.skipped = err.Error()
		return
	}
	if chromium.dir, err = os.MkdirTemp("", "keyhouse-chromium-"); err != nil {
		chromium.err = err
		return
	}
	alloc, stopAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(chromium.dir),
		chromedp.WindowSize(1280, 900),
	)
	ctx, stopBrowser := chromedp.NewContext(alloc)
	chromium.ctx = ctx
	chromium.stop = func() { stopBrowser(); stopAlloc() }
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		chromium.err = fmt.Errorf("start %s: %w", path, err)
	}
}

// tab is one browser tab on a test server, with helpers that fail the
// test on error. Every wait is for an element or a condition, never for
// a time.
type tab struct {
	t    testing.TB
	ctx  context.Context
	base string // the test server's URL
}

// newTab opens a tab in a fresh browser context (no cookies) on base, or
// skips the test when there is no browser.
func newTab(t testing.TB, base string) *tab {
	t.Helper()
	chromium.once.Do(startChromium)
	switch {
	case chromium.skipped != "" && os.Getenv("KEYHOUSE_REQUIRE_BROWSER") == "1":
		t.Fatalf("KEYHOUSE_REQUIRE_BROWSER=1 but %s", chromium.skipped)
	case chromium.skipped != "":
		t.Skipf("browser test skipped: %s", chromium.skipped)
	case chromium.err != nil:
		t.Fatal(chromium.err)
	}
	ctx, cancel := chromedp.NewContext(chromium.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tb := &tab{t: t, ctx: ctx, base: base}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil { // opens the tab
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
			Setting:    "granted", Origin: base, BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
		})
		if err != nil {
			t.Fatalf("grant %s: %v", name, err)
		}
	}
	return tb
}

// stepTimeout bounds one step of a browser test: a wait that does not
// end by then has failed.
const stepTimeout = 15 * time.Second

// do runs actions.
func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v (at %s)", err, b.location())
	}
}

// location returns the tab's address, for error messages.
func (b *tab) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

// open loads a path of the test server.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base + path))
}

// text returns the visible text of the first element matching css,
// waiting for it.
func (b *tab) text(css string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("text of %s: %v (at %s)", css, err, b.location())
	}
	return strings.TrimSpace(s)
}

// eval evaluates a JavaScript expression (awaiting a promise).
func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

// count returns how many elements match css now.
func (b *tab) count(css string) int {
	b.t.Helper()
	return eval[int](b, fmt.Sprintf("document.querySelectorAll(%q).length", css))
}

// waitFor waits until a JavaScript condition holds.
func (b *tab) waitFor(cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond)); err != nil {
		b.t.Fatalf("waiting for %s: %v (at %s)", cond, err, b.location())
	}
}

// click clicks the first visible element matching css.
func (b *tab) click(css string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
}

// clickLink clicks the visible link whose text, or the text of its
// title within it, is exactly text.
func (b *tab) clickLink(text string) {
	b.t.Helper()
	b.do(chromedp.Click(fmt.Sprintf(`//a[normalize-space()=%q or ./*[normalize-space()=%q]]`, text, text), chromedp.NodeVisible))
}

// typeInto focuses a field, clears it and types s as a person would.
func (b *tab) typeInto(css, s string) {
	b.t.Helper()
	b.do(chromedp.Clear(chromedp.CSS(css), chromedp.NodeVisible), chromedp.SendKeys(chromedp.CSS(css), s, chromedp.NodeVisible))
}

// visible waits for an element matching css to be visible.
func (b *tab) visible(css string) {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.CSS(css)))
}

// setSession puts a session token in the tab's cookie jar, as signing in
// does, to start a test on a page without the sign-in form.
func (b *tab) setSession(token string) {
	b.t.Helper()
	_, err := chromedp.Call(b.ctx, network.SetCookie, network.SetCookieParams{
		Name: "keyhouse_session", Value: token, URL: b.base, HTTPOnly: new(true), SameSite: network.CookieSameSiteLax,
	})
	if err != nil {
		b.t.Fatal(err)
	}
}

// heading waits for a page whose h1 is text: query actions, unlike
// polls, survive the navigation that brings the page.
func (b *tab) heading(text string) {
	b.t.Helper()
	b.do(chromedp.WaitVisible(fmt.Sprintf(`//h1[normalize-space()=%q]`, text)))
}

// waitXPath waits for an element matching an XPath expression to be
// visible.
func (b *tab) waitXPath(xpath string) {
	b.t.Helper()
	b.do(chromedp.WaitVisible(xpath))
}

// textContent returns the text content of the first element matching css
// (as written, before CSS transforms it).
func (b *tab) textContent(css string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(css)))
	if err != nil {
		b.t.Fatalf("text content of %s: %v (at %s)", css, err, b.location())
	}
	return strings.TrimSpace(s)
}

// screenshot writes the page as PNGs into $KEYHOUSE_SCREENSHOTS, at 1280
// and 390 pixels wide, when that is set: the whole page, or the viewport
// only (for a dialog, which sits in the viewport).
func (b *tab) screenshot(name string, wholePage bool) {
	b.t.Helper()
	dir := os.Getenv("KEYHOUSE_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	for _, size := range []struct{ w, h int64 }{{1280, 900}, {390, 844}} {
		b.do(chromedp.EmulateViewport(size.w, size.h))
		shot := chromedp.CaptureScreenshot()
		if wholePage {
			shot = chromedp.FullScreenshot(100)
		}
		png, err := chromedp.Run(b.ctx, shot)
		if err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, size.w)), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do(chromedp.EmulateViewport(1280, 900))
}
