// Package oauthtest drives a real headless Chromium for the tests of
// spsync's authorization flow. A browser, not an http.Client, is what the
// flow must work in: cookies with SameSite and Path, redirects across two
// origins (spsync and Seller Central), form posts. Amazon gives no sandbox
// for the website workflow, so the tests play it against the simulator's
// Seller Central in this browser.
//
// Every helper fails the test (t.Fatal) on a browser error, so call them
// from the test's goroutine.
package oauthtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// ActionTimeout bounds one browser action (a navigation with its
// redirects, a click and the page it loads). Generous for a busy CI
// runner; a flow step that takes longer is a failure, not slowness.
const ActionTimeout = 60 * time.Second

// executables are the names Chromium goes by on Linux distributions.
var executables = []string{"chromium", "chromium-browser", "google-chrome"}

// FindChromium returns the path of a Chromium executable on PATH, or "".
func FindChromium() string {
	for _, name := range executables {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// RequireChromium returns Chromium's path. Without one the test fails
// under CI=true (CI must not silently skip a browser check) and is skipped
// elsewhere, saying how to install it.
func RequireChromium(t testing.TB) string {
	t.Helper()
	path := FindChromium()
	if path == "" {
		msg := fmt.Sprintf("no Chromium on PATH (looked for %v): apt-get install chromium (make test installs it when run as root)", executables)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// Tab is one browser tab. Tabs made with NewProfile have their own
// cookies; tabs made with NewTab share their profile's cookies.
type Tab struct {
	t   testing.TB
	ctx context.Context
}

// Browser starts a headless Chromium for the test (stopped at its end)
// with a fresh profile in t.TempDir(), and returns its first tab. Without
// Chromium the test fails under CI=true (CI must not silently skip the
// browser tests) and is skipped elsewhere, saying how to install it.
func Browser(t testing.TB) *Tab {
	t.Helper()
	path := RequireChromium(t)
	// TempDir first: its removal is registered before the browser's stop,
	// so it runs after Chromium has exited and let go of the profile.
	dir := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests run as root in containers, where Chromium's sandbox cannot start
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dir),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first Run starts the browser; it must have no timeout, since the
	// browser lives as long as the context of that call.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium %s: %v", path, err)
	}
	return &Tab{t: t, ctx: ctx}
}

// NewProfile returns a tab in a new browser context of the same browser:
// like another person's browser, it shares no cookie with the others.
func (b *Tab) NewProfile() *Tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("opening a new browser context: %v", err)
	}
	return &Tab{t: b.t, ctx: ctx}
}

// NewTab returns another tab of the same profile (same cookies).
func (b *Tab) NewTab() *Tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("opening a tab: %v", err)
	}
	return &Tab{t: b.t, ctx: ctx}
}

// run runs one action bounded by ActionTimeout.
func run[T any](b *Tab, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, ActionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// Navigate opens url, follows its redirects, waits for the final page to
// load and returns that page's HTTP status.
func (b *Tab) Navigate(url string) int {
	b.t.Helper()
	resp := run(b, "navigate to "+url, chromedp.NavigateResponse(url))
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// Click clicks the element with this id and waits for the page it loads
// (a submit button posts its form; redirects are followed) and returns
// that page's HTTP status.
func (b *Tab) Click(id string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, ActionTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID(id)))
	if err != nil {
		b.t.Fatalf("browser: click #%s: %v", id, err)
	}
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// Select chooses, in the <select name=name>, the option whose visible text
// or value is option, the way a person picks it (the change event fires).
func (b *Tab) Select(name, option string) {
	b.t.Helper()
	n, _ := json.Marshal(name)
	o, _ := json.Marshal(option)
	js := fmt.Sprintf(`(() => {
		const s = document.querySelector('select[name=' + CSS.escape(%s) + ']');
		if (!s) return "no select";
		const want = %s;
		for (const opt of s.options) {
			if (opt.text.trim() === want || opt.value === want) {
				s.value = opt.value;
				s.dispatchEvent(new Event('change', {bubbles: true}));
				return "";
			}
		}
		return "no option";
	})()`, n, o)
	if msg := run(b, "select "+option, chromedp.Evaluate[string](js)); msg != "" {
		b.t.Fatalf("browser: select %q in %q: %s; the page says:\n%s", option, name, msg, b.Text())
	}
}

// Options returns the visible texts of the options of <select name=name>.
func (b *Tab) Options(name string) []string {
	b.t.Helper()
	n, _ := json.Marshal(name)
	js := fmt.Sprintf(`Array.from((document.querySelector('select[name=' + CSS.escape(%s) + ']') || {options: []}).options, o => o.text.trim())`, n)
	return run(b, "read options of "+name, chromedp.Evaluate[[]string](js))
}

// Text returns the visible text of the page.
func (b *Tab) Text() string {
	b.t.Helper()
	return run(b, "read the page text", chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
}

// Title returns the page's title.
func (b *Tab) Title() string {
	b.t.Helper()
	return run(b, "read the title", chromedp.Title())
}

// URL returns the address of the page shown.
func (b *Tab) URL() string {
	b.t.Helper()
	return run(b, "read the location", chromedp.Location())
}

// Has reports whether an element with this id is on the page (no wait).
func (b *Tab) Has(id string) bool {
	b.t.Helper()
	j, _ := json.Marshal(id)
	return run(b, "look for #"+id, chromedp.Evaluate[bool](fmt.Sprintf(`document.getElementById(%s) !== null`, j)))
}

// TextOf returns the visible text of the element with this id, "" when
// there is none (no wait: read it once the page has loaded).
func (b *Tab) TextOf(id string) string {
	b.t.Helper()
	j, _ := json.Marshal(id)
	return run(b, "read #"+id, chromedp.Evaluate[string](fmt.Sprintf(`(document.getElementById(%s) || {innerText: ""}).innerText`, j)))
}

// Cookies returns the cookies the browser would send to each of urls
// (HttpOnly ones included, which page scripts cannot see).
func (b *Tab) Cookies(urls ...string) []*network.Cookie {
	b.t.Helper()
	res := run(b, "read cookies", func(ctx context.Context, t *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: urls})
	})
	return res.Cookies
}

// Cookie returns the cookie named name that the browser would send to
// url, or nil.
func (b *Tab) Cookie(url, name string) *network.Cookie {
	b.t.Helper()
	for _, c := range b.Cookies(url) {
		if c.Name == name {
			return c
		}
	}
	return nil
}
