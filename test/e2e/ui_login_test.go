package e2e

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// A login address works once; the session it makes is an HttpOnly cookie
// no script can read, and logging out ends it.
func TestDockerUILoginWorksOnceAndLogsOut(t *testing.T) {
	w := newWorld(t)
	address := w.loginAddress(t)

	// Without a session the UI sends the browser to the login page.
	b := newBrowser(t, w)
	require.Empty(t, eval[string](b, "document.cookie"), "the session cookie is HttpOnly")
	b.open("/")

	// Another browser opens the address, logs out, and opens it again, as
	// someone who read the same terminal line later would: it is spent.
	other := newBrowser(t, w)
	other.navigate(address)
	other.waitJS(`location.pathname === '/' && document.getElementById('list-loading').hidden`, "a fresh address logs in")
	other.press("#logout")
	other.waitJS(`location.pathname === '/login' && document.getElementById('login-state') !== null`, "logout shows the login page")
	other.navigate(other.base + "/")
	other.waitJS(`location.pathname === '/login'`, "after logout the UI sends the browser to the login page")
	other.navigate(address)
	other.waitJS(`/used already or expired/.test(document.getElementById('login-state').textContent)`, "a spent address is refused")
	require.Equal(t, "/login", eval[string](other, "location.pathname + location.hash"), "the code is dropped from the address bar")
	other.screenshot("ui-login-spent")

	// The first browser's session is its own and still works.
	b.open("/")
	// The page's address never carried a credential to the daemon.
	code, _ := w.api(t, "GET", "/projects", nil)
	require.Equal(t, http.StatusOK, code)
	for _, u := range b.requested() {
		require.NotContains(t, u, b.token)
	}
}
