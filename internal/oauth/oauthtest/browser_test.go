package oauthtest_test

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/stretchr/testify/require"

	"github.com/spsync/spsync/internal/oauth/oauthtest"
)

// formSite is a two-page site shaped like a consent step: / sets an
// HttpOnly cookie on /flow/ and shows a picker with Confirm and Cancel;
// the form posts to /decide, which redirects to /flow/done, which shows
// the decision, the picked option and whether the cookie came back.
func formSite() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "flow", Value: "c00kie", Path: "/flow/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>Pick</title><form method="post" action="/decide">
<select name="seller"><option value="A1">seller-one</option><option value="B2">seller-two</option></select>
<button id="confirm" name="decision" value="confirm">Confirm</button>
<button id="cancel" name="decision" value="cancel">Cancel</button></form>`)
	})
	mux.HandleFunc("POST /decide", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/flow/done?decision="+r.PostFormValue("decision")+"&seller="+r.PostFormValue("seller"), http.StatusFound)
	})
	mux.HandleFunc("GET /flow/done", func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("flow")
		got := "no cookie"
		if err == nil {
			got = "cookie " + c.Value
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Query().Get("decision") != "confirm" {
			w.WriteHeader(http.StatusForbidden)
		}
		fmt.Fprintf(w, `<!doctype html><title>Done</title><p id="result">%s %s, %s</p>`,
			html.EscapeString(r.URL.Query().Get("decision")), html.EscapeString(r.URL.Query().Get("seller")), got)
	})
	return mux
}

// TestBrowserHarness proves the helpers against a real Chromium: a select,
// a click that posts a form through a redirect, the page text, an HttpOnly
// cookie scoped to a path, and that a second profile has no cookie of the
// first.
func TestBrowserHarness(t *testing.T) {
	srv := httptest.NewServer(formSite())
	t.Cleanup(srv.Close)
	b := oauthtest.Browser(t)

	tests := []struct {
		name, pick, button string
		status             int
		text               string
	}{
		{name: "confirm by option text", pick: "seller-two", button: "confirm", status: 200, text: "confirm B2, cookie c00kie"},
		{name: "confirm by option value", pick: "A1", button: "confirm", status: 200, text: "confirm A1, cookie c00kie"},
		{name: "cancel", pick: "seller-one", button: "cancel", status: 403, text: "cancel A1, cookie c00kie"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, 200, b.Navigate(srv.URL+"/"))
			require.Equal(t, "Pick", b.Title())
			require.Equal(t, []string{"seller-one", "seller-two"}, b.Options("seller"))
			require.True(t, b.Has("confirm"))
			b.Select("seller", tc.pick)
			require.Equal(t, tc.status, b.Click(tc.button))
			require.True(t, strings.HasPrefix(b.URL(), srv.URL+"/flow/done?"), b.URL())
			require.Equal(t, tc.text, strings.TrimSpace(b.Text()))
			require.Equal(t, tc.text, b.TextOf("result"))
			require.Empty(t, b.TextOf("no-such-element"))
		})
	}

	c := b.Cookie(srv.URL+"/flow/done", "flow")
	require.NotNil(t, c, "the HttpOnly cookie is readable through the browser")
	require.Equal(t, "c00kie", c.Value)
	require.True(t, c.HTTPOnly)
	require.Equal(t, "/flow/", c.Path)
	require.Equal(t, network.CookieSameSiteLax, c.SameSite)
	require.Nil(t, b.Cookie(srv.URL+"/", "flow"), "the cookie's Path keeps it off other paths")

	other := b.NewProfile()
	require.Equal(t, 403, other.Navigate(srv.URL+"/flow/done?decision=replay&seller=A1"))
	require.Equal(t, "replay A1, no cookie", strings.TrimSpace(other.Text()), "another profile does not carry the first one's cookie")
	require.Nil(t, other.Cookie(srv.URL+"/flow/done", "flow"))

	same := b.NewTab()
	same.Navigate(srv.URL + "/flow/done?decision=confirm&seller=A1")
	require.Equal(t, "confirm A1, cookie c00kie", strings.TrimSpace(same.Text()), "a tab of the same profile shares its cookies")
}

// fakeTB records how Browser gives up; Fatal and Skip end the call like
// the real ones do (by unwinding), so nothing after them runs.
type fakeTB struct {
	testing.TB
	fataled, skipped string
}

type stop struct{}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Fatal(args ...any)     { f.fataled = fmt.Sprint(args...); panic(stop{}) }
func (f *fakeTB) Skip(args ...any)      { f.skipped = fmt.Sprint(args...); panic(stop{}) }
func (f *fakeTB) Fatalf(string, ...any) { panic("Browser must not get this far without Chromium") }

// TestBrowserWithoutChromium: CI must fail loudly when Chromium is
// missing (a silent skip would hide that the flow went untested); a
// developer's machine skips and is told how to install it.
func TestBrowserWithoutChromium(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	require.Empty(t, oauthtest.FindChromium())
	for _, tc := range []struct {
		ci         string
		fail, skip bool
	}{{ci: "true", fail: true}, {ci: "", skip: true}, {ci: "false", skip: true}} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			f := &fakeTB{TB: t}
			func() {
				defer func() { require.Equal(t, stop{}, recover()) }()
				oauthtest.Browser(f)
			}()
			msg := f.fataled + f.skipped
			require.Equal(t, tc.fail, f.fataled != "")
			require.Equal(t, tc.skip, f.skipped != "")
			require.Contains(t, msg, "apt-get install chromium")
		})
	}
}
