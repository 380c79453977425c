package ui

import (
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStaticFilesAreServedWithTypeAndETag(t *testing.T) {
	h := New(nil)
	want := map[string]string{
		"/static/app.css":     "text/css; charset=utf-8",
		"/static/icon.svg":    "image/svg+xml",
		"/static/js/app.js":   "text/javascript; charset=utf-8",
		"/static/js/feed.js":  "text/javascript; charset=utf-8",
		"/static/js/login.js": "text/javascript; charset=utf-8",
	}
	for p, ct := range want {
		rec := get(t, h, p, nil)
		require.Equal(t, http.StatusOK, rec.Code, p)
		require.Equal(t, ct, rec.Header().Get("Content-Type"), p)
		require.Equal(t, "no-cache", rec.Header().Get("Cache-Control"), p)
		requireSecure(t, rec.Header())
		etag := rec.Header().Get("ETag")
		require.NotEmpty(t, etag)
		again := get(t, h, p, map[string]string{"If-None-Match": etag})
		require.Equal(t, http.StatusNotModified, again.Code, "a cached copy is revalidated, not sent again")
	}
}

// The page loads a file whose download failed again under
// /static/retry/<n>/ (static/js/boot.js): the same file, type and ETag.
func TestRetryPathsServeTheSameFiles(t *testing.T) {
	h := New(nil)
	for _, p := range []string{"/static/js/app.js", "/static/js/feed.js", "/static/app.css"} {
		want := get(t, h, p, nil)
		require.Equal(t, http.StatusOK, want.Code, p)
		for _, n := range []string{"1", "5", "999"} {
			again := strings.Replace(p, "/static/", "/static/retry/"+n+"/", 1)
			rec := get(t, h, again, nil)
			require.Equal(t, http.StatusOK, rec.Code, again)
			require.Equal(t, want.Body.String(), rec.Body.String(), again)
			require.Equal(t, want.Header().Get("Content-Type"), rec.Header().Get("Content-Type"), again)
			require.Equal(t, want.Header().Get("ETag"), rec.Header().Get("ETag"), again)
			requireSecure(t, rec.Header())
		}
	}
	// (Paths with // or .. are redirected to their clean form by the mux.)
	for _, p := range []string{
		"/static/retry/js/app.js",           // no number
		"/static/retry/1000/js/app.js",      // too long
		"/static/retry/1a/js/app.js",        // not a number
		"/static/retry/1/retry/2/js/app.js", // one prefix only
		"/static/retry/1/js/missing.js",     // no such file
		"/static/retry/1",                   // no file
	} {
		require.Equal(t, http.StatusNotFound, get(t, h, p, nil).Code, p)
	}
}

// boot.js must be in place before the style sheet or a module can fail:
// first in the head, and neither deferred nor a module.
func TestTheLoaderRunsBeforeWhatItReloads(t *testing.T) {
	page := read(t, "templates/index.html")
	boot := strings.Index(page, `<script src="/static/js/boot.js"></script>`)
	require.GreaterOrEqual(t, boot, 0, "the page loads boot.js as a plain script")
	for _, later := range []string{`<link rel="stylesheet"`, `<script type="module"`} {
		i := strings.Index(page, later)
		require.Greater(t, i, boot, "%s comes after boot.js", later)
	}
}

// The page builds every element from data with textContent and attributes;
// these would parse a string as markup or code.
var unsafeJS = regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(|setTimeout\(['"]|javascript:`)

func TestScriptsNeverTurnDataIntoMarkup(t *testing.T) {
	for _, f := range staticNames(t, ".js") {
		src := read(t, f)
		require.Nil(t, unsafeJS.FindStringIndex(src), "%s: %q", f, unsafeJS.FindString(src))
		require.NotContains(t, src, "localStorage", "%s: nothing is kept in the browser's storage", f)
		require.NotContains(t, src, "Authorization", "%s: the page holds no credential; the browser sends its cookie", f)
		require.NotContains(t, src, "document.cookie", "%s: the session cookie is HttpOnly; no script touches cookies", f)
	}
}

func TestNothingIsLoadedFromElsewhere(t *testing.T) {
	files := append(staticNames(t, ".js"), staticNames(t, ".css")...)
	files = append(files, "templates/index.html", "templates/login.html")
	for _, f := range files {
		src := read(t, f)
		require.NotContains(t, src, "https://", f)
		require.NotRegexp(t, `(src|href)="//`, src, f)
	}
}

// Every module a script imports is embedded, so a typo fails here and not
// in a user's browser.
func TestEveryImportIsEmbedded(t *testing.T) {
	imp := regexp.MustCompile(`from '(\./[a-z]+\.js)'`)
	for _, f := range staticNames(t, ".js") {
		for _, m := range imp.FindAllStringSubmatch(read(t, f), -1) {
			target := path.Join(path.Dir(f), m[1])
			_, err := fs.Stat(files, target)
			require.NoError(t, err, "%s imports %s", f, m[1])
		}
	}
	for _, page := range []string{read(t, "templates/index.html"), read(t, "templates/login.html")} {
		for _, m := range regexp.MustCompile(`(?:src|href)="/(static/[^"]+)"`).FindAllStringSubmatch(page, -1) {
			_, err := fs.Stat(files, m[1])
			require.NoError(t, err, "the page loads %s", m[1])
		}
	}
}

func staticNames(t *testing.T, ext string) []string {
	t.Helper()
	var out []string
	require.NoError(t, fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ext) {
			out = append(out, p)
		}
		return err
	}))
	require.NotEmpty(t, out)
	return out
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(files, name)
	require.NoError(t, err)
	return string(b)
}
