package e2e

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// uiProject is what the tests read back of a project through the API.
type uiProject struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	AgentType string   `json:"agentType"`
	Runtimes  []string `json:"runtimes"`
	Mode      string   `json:"mode"`
	Domains   []string `json:"domains"`
	Ports     []int    `json:"ports"`
	Image     string   `json:"image"`
	Desired   string   `json:"desired"`
	Grants    []struct {
		Domain string `json:"domain"`
	} `json:"grants"`
}

func (w *world) projects(t *testing.T) []uiProject {
	t.Helper()
	code, body := w.api(t, "GET", "/projects", nil)
	require.Equal(t, http.StatusOK, code, string(body))
	var ps []uiProject
	require.NoError(t, json.Unmarshal(body, &ps))
	return ps
}

func (w *world) project(t *testing.T, id string) uiProject {
	t.Helper()
	code, body := w.api(t, "GET", "/projects/"+id, nil)
	require.Equal(t, http.StatusOK, code, string(body))
	var p uiProject
	require.NoError(t, json.Unmarshal(body, &p))
	return p
}

func TestDockerUICreateProjectThroughTheDialog(t *testing.T) {
	w := newWorld(t)
	b := newBrowser(t, w)
	b.open("/")
	require.False(t, eval[bool](b, q("#list-empty")+".hidden"), "an empty daemon says so")

	b.press("#new-project")
	b.waitJS(q("#create-dialog")+".open", "the create dialog did not open")
	b.waitJS("document.activeElement.id === 'create-name'", "focus starts on the name")
	domains := func() []string {
		return strings.Fields(eval[string](b, q("#create-domains")+".value"))
	}
	require.Contains(t, domains(), "anthropic.com", "the agent type's presets fill the allowlist")
	require.Contains(t, domains(), "github.com")
	require.NotContains(t, domains(), "npmjs.org")

	b.typeInto("#create-name", "web <b>app</b>")
	workspace := ownedWorkspace(t)
	b.typeInto("#create-workspace", workspace)
	b.press("#create-runtime-node")
	require.Contains(t, domains(), "npmjs.org", "a runtime adds its registries")
	// The user's own entry stays while the presets change around it.
	b.setValue("#create-domains", eval[string](b, q("#create-domains")+".value")+"\nother.example.org")
	b.press("#create-runtime-python")
	b.press("#create-runtime-node")
	require.Contains(t, domains(), "pypi.org")
	require.NotContains(t, domains(), "npmjs.org", "unticking a runtime drops its registries")
	require.Contains(t, domains(), "other.example.org", "the user's edit stays")
	b.typeInto("#create-ports", "5173, 3000")
	b.exec(q("#create-dialog details") + ".open = true")
	b.typeInto("#create-image", agentImage)
	require.Empty(t, eval[[]string](b, `[...document.querySelectorAll('#create-dialog input, #create-dialog select, #create-dialog textarea')]
		.filter(e => e.labels.length === 0).map(e => e.id || e.name)`), "every field has a label")
	require.Empty(t, eval[[]string](b, `[...document.querySelectorAll('button, a')]
		.filter(e => !(e.getAttribute('aria-label') || e.textContent.trim())).map(e => e.outerHTML)`), "every control has a name")
	b.screenshot("ui-create-dialog")
	// The start is held in flight, so its progress can be seen.
	started, release := b.holdRequests("*/start")
	b.press("#create-form button[type=submit]")

	b.waitJS("!"+q("#create-dialog")+".open", "the dialog did not close after creating")
	select {
	case <-started:
	case <-time.After(uiWait):
		t.Fatal("the dialog did not start the project")
	}
	b.waitJS(q(".card progress"), "a starting project shows no progress")
	require.Contains(t, b.text(".card .state-label"), "Starting")
	require.Regexp(t, `^Step [1-4] of 4: `, b.text(".card .progress-text"))
	require.True(t, eval[bool](b, `[...document.querySelectorAll('.card button')].filter(x => x.textContent !== 'Details').every(x => x.disabled)`),
		"nothing else can be done to a project while it starts")
	b.screenshot("ui-starting")
	release()
	var p uiProject
	require.Eventually(t, func() bool {
		ps := w.projects(t)
		if len(ps) != 1 {
			return false
		}
		p = ps[0]
		return true
	}, 10*time.Second, 100*time.Millisecond)
	require.Equal(t, "web <b>app</b>", p.Name)
	require.Equal(t, "claude-code", p.AgentType)
	require.Equal(t, []string{"python"}, p.Runtimes)
	require.Equal(t, "restricted", p.Mode)
	require.Equal(t, []int{3000, 5173}, p.Ports)
	require.Equal(t, agentImage, p.Image)
	require.Contains(t, p.Domains, "other.example.org")
	require.Contains(t, p.Domains, "pypi.org")
	require.NotContains(t, p.Domains, "npmjs.org")

	c := card(p.ID)
	b.waitJS(q(c), "no card for the new project")
	require.Equal(t, "web <b>app</b>", b.text(c+" .card-title"), "the name is shown as text, not markup")
	require.Zero(t, eval[int](b, q(c)+".querySelectorAll('.card-title b').length"))
	b.waitJSFor(q(c+" .state-label")+".textContent === 'Running'", readyWithin, "the card never showed the project running")
	require.Contains(t, b.text(c+" .badge"), "restricted")
	require.Contains(t, b.text(c+" .facts"), "Claude Code")
	require.Contains(t, b.text(c+" .facts"), workspace)
	require.Contains(t, b.text(c+" .domain-count"), strconv.Itoa(len(p.Domains))+" domains")
	_, port, _ := strings.Cut(strings.TrimPrefix(b.base, "http://"), ":")
	href := eval[string](b, q(c+` a.chip[aria-label*="5173"]`)+".href")
	require.Equal(t, "http://"+p.ID+"-claude-code-5173.localhost:"+port+"/", href)
	require.Equal(t, "_blank", eval[string](b, q(c+" a.chip")+".target"))
	require.Contains(t, eval[string](b, q(c+" a.chip")+".rel"), "noopener")
	require.Equal(t, "running", w.docker("inspect", "--format", "{{.State.Status}}", "warden-"+p.ID+"-agent"))
	b.screenshot("ui-project-list")

	// The page never saw its token in a URL, and dropped the tag it came in.
	require.False(t, eval[bool](b, q(`meta[name="warden-token"]`)+" !== null"))
	for _, u := range b.requested() {
		require.NotContains(t, u, b.token)
	}
}

func TestDockerUICreateErrorsShowBesideTheField(t *testing.T) {
	w := newWorld(t)
	b := newBrowser(t, w)
	b.open("/")
	b.press("#new-project")
	b.waitJS(q("#create-dialog")+".open", "the create dialog did not open")

	b.typeInto("#create-name", "bad")
	b.typeInto("#create-workspace", "relative/path")
	b.press("#create-form button[type=submit]")
	b.waitJS("!"+q("#create-workspace-error")+".hidden", "no error beside the workspace")
	require.Contains(t, b.text("#create-workspace-error"), "not an absolute path")
	require.Equal(t, "true", eval[string](b, q("#create-workspace")+".getAttribute('aria-invalid')"))
	require.Equal(t, "create-workspace", eval[string](b, "document.activeElement.id"), "focus moves to the field")
	require.True(t, eval[bool](b, q("#create-dialog")+".open"), "the dialog stays open")
	require.True(t, eval[bool](b, q("#create-name-error")+".hidden"), "other fields show no error")
	b.screenshot("ui-create-error")

	b.typeInto("#create-workspace", ownedWorkspace(t))
	b.setValue("#create-domains", "github.com\nbad!name.example")
	b.press("#create-form button[type=submit]")
	b.waitJS("!"+q("#create-domains-error")+".hidden", "no error beside the allowlist")
	require.Contains(t, b.text("#create-domains-error"), "bad!name.example")
	require.True(t, eval[bool](b, q("#create-workspace-error")+".hidden"), "the fixed field's error is gone")

	b.setValue("#create-domains", "github.com")
	b.typeInto("#create-ports", "70000")
	b.press("#create-form button[type=submit]")
	b.waitJS("!"+q("#create-ports-error")+".hidden", "no error beside the ports")
	require.Contains(t, b.text("#create-ports-error"), "70000")

	b.typeInto("#create-ports", "80 http")
	b.press("#create-form button[type=submit]")
	b.waitJS("!"+q("#create-ports-error")+".hidden", "no error beside the ports for a word")
	require.Contains(t, b.text("#create-ports-error"), `"http"`)
	require.Empty(t, w.projects(t), "nothing was created")
}

func TestDockerUIEditDomainsAppliesLive(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("restricted", "github.com")
	require.False(t, w.probe(id, "resolve", "other.example.org").OK)
	agentStart := w.containerStart("warden-" + id + "-agent")

	b := newBrowser(t, w)
	b.open("/")
	c := card(id)
	b.waitJS(q(c+" .state-label")+".textContent === 'Running'", "the card does not show the project running")
	b.press(c + ` button[data-focus="edit"]`)
	b.waitJS(q("#edit-dialog")+".open", "the edit dialog did not open")
	require.Equal(t, "github.com", strings.TrimSpace(eval[string](b, q("#edit-domains")+".value")))
	require.True(t, eval[bool](b, q("#edit-mode-restricted")+".checked"))
	b.setValue("#edit-domains", "other.example.org")
	b.screenshot("ui-edit-dialog")
	b.press("#edit-form button[type=submit]")

	b.waitJS(`[...document.querySelectorAll('#notices .notice')].some(n => /Applied by the sidecar in [0-9.]+ ms/.test(n.textContent))`,
		"no notice that the sidecar applied the change")
	require.False(t, eval[bool](b, q("#edit-dialog")+".open"))
	require.True(t, w.probe(id, "resolve", "other.example.org").OK, "the added name resolves in the agent")
	require.Equal(t, "REFUSED", w.probe(id, "resolve", "github.com").Rcode, "the removed name is refused")
	require.Equal(t, agentStart, w.containerStart("warden-"+id+"-agent"), "nothing restarted")
	b.waitJS(q(c+" .domain-count")+".textContent.startsWith('1 domain')", "the card's count follows")
}

func TestDockerUIBlockedAttemptAllowed(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("restricted", "github.com")
	b := newBrowser(t, w)
	b.open("/#/projects/" + id)
	b.waitJS(q("#detail-title")+" && "+q(".feed-state")+".textContent === 'Live'", "the feed did not go live")
	b.waitJS(q(".state-label")+".textContent === 'Running'", "the detail does not show the project running")

	require.Equal(t, "REFUSED", w.probe(id, "resolve", "blocked.example").Rcode)
	require.False(t, w.probe(id, "tcp", w.addrOf(16, 7)).OK, "a connection by address is rejected")
	row := `.feed-row[data-name="blocked.example"]`
	b.waitJS(q(row), "the refused name never reached the feed")
	b.waitJS(q(".feed-row.feed-conn"), "the rejected connection never reached the feed")
	require.Contains(t, b.text(".feed-row.feed-conn .feed-target"), w.addrOf(16, 7))
	require.True(t, eval[bool](b, q(".feed .feed-row")+".classList.contains('feed-conn')"), "newest first")
	b.waitJS(q("#sidecar-title"), "no sidecar panel")
	require.Contains(t, b.text(".detail-grid"), "Queries refused")
	require.Contains(t, b.text(".detail-grid"), "Addresses in")
	b.screenshot("ui-project-detail")

	b.press(row + ` button[data-focus="allow"]`)
	b.waitJS(`[...document.querySelectorAll('#notices .notice')].some(n => n.textContent.includes('blocked.example allowed for good'))`,
		"no notice that the name is allowed")
	require.Contains(t, w.project(t, id).Domains, "blocked.example")
	r := w.probe(id, "resolve", "blocked.example")
	require.True(t, r.OK, "the next attempt resolves: %+v", r)
	require.Equal(t, "hello from "+w.ip(15), w.probe(id, "http", "http://blocked.example/").Reply, "and connects")
	b.waitJS(q(row+" .allowed-now"), "the row does not say the name is allowed now")

	// A narrow window keeps everything reachable in one column.
	b.do(chromedp.EmulateViewport(420, 900))
	b.screenshot("ui-project-detail-narrow")
	require.LessOrEqual(t, eval[int](b, "document.documentElement.scrollWidth"), 420, "nothing is wider than the window")
}

func TestDockerUIGrantExpires(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("restricted", "github.com")
	b := newBrowser(t, w)
	b.open("/#/projects/" + id)
	b.waitJS(q(".feed-state")+".textContent === 'Live'", "the feed did not go live")

	require.Equal(t, "REFUSED", w.probe(id, "resolve", "blocked.example").Rcode)
	row := `.feed-row[data-name="blocked.example"]`
	b.waitJS(q(row), "the refused name never reached the feed")
	b.press(row + ` button[data-focus="grant"]`)
	hour := `.grant[data-grant="blocked.example"]`
	b.waitJS(q(hour), "the grant is not listed")
	left := b.text(hour + " [data-expires]")
	require.Regexp(t, regexp.MustCompile(`^(1 h 00 min|59:[0-5][0-9])$`), left)
	require.True(t, w.probe(id, "resolve", "blocked.example").OK, "the granted name resolves")
	require.Equal(t, []string{"github.com"}, w.project(t, id).Domains, "a grant is not an allowlist entry")

	// A short grant, as "Allow for 1 hour" makes with a shorter life.
	code, body := w.api(t, "POST", "/projects/"+id+"/grants", map[string]any{"domain": "other.example.org", "ttlSeconds": 3})
	require.Equal(t, http.StatusCreated, code, string(body))
	require.True(t, w.probe(id, "resolve", "other.example.org").OK)
	short := `.grant[data-grant="other.example.org"]`
	b.waitJS(q(short), "the short grant is not listed")
	require.Regexp(t, regexp.MustCompile(`^0:0[0-3]$|^expiring…$`), b.text(short+" [data-expires]"))
	b.screenshot("ui-grants")
	b.waitJSFor("!"+q(short), 10*time.Second, "the expired grant is still listed")
	// The daemon drops the grant from the store, then pushes; the page may
	// show the first a moment before the second lands.
	require.Eventually(t, func() bool { return w.probe(id, "resolve", "other.example.org").Rcode == "REFUSED" },
		5*time.Second, 100*time.Millisecond, "the expired grant still lets the name through")
	require.True(t, eval[bool](b, q(hour)+" !== null"), "the hour-long grant stays")
	require.True(t, w.probe(id, "resolve", "blocked.example").OK)

	b.press(hour + " button")
	b.waitJS("!"+q(hour), "the revoked grant is still listed")
	require.Equal(t, "REFUSED", w.probe(id, "resolve", "blocked.example").Rcode, "a revoked grant is removed from the sidecar")
	require.Empty(t, w.project(t, id).Grants)
}

// A browser drops every download still waiting for a connection when the
// machine's addresses change, which Docker does each time a container
// starts; the page loads more files than a browser opens connections to
// one host, so some wait. The page loads a failed module or style sheet
// again instead of staying at "Loading projects…".
func TestDockerUILoadsWhenADownloadFails(t *testing.T) {
	w := newWorld(t)
	b := newBrowser(t, w)
	// The login lands on the page; let that load end, and keep the files
	// out of the browser's cache, so the next load asks for each of them.
	b.open("/")
	_, err := chromedp.Call(b.ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
	require.NoError(t, err)
	// feed.js is two imports deep; its failure fails the whole module graph.
	failed := b.failRequests("*/static/js/feed.js", "*/static/app.css")
	b.open("/")
	require.Equal(t, 2, failed(), "each file failed once, at its first address")
	urls := b.requested()
	require.Contains(t, urls, b.base+"/static/retry/1/js/feed.js")
	require.Contains(t, urls, b.base+"/static/retry/1/app.css")

	require.False(t, eval[bool](b, q("#list-empty")+".hidden"), "the empty list is shown")
	b.press("#new-project")
	b.waitJS(q("#create-dialog")+".open", "the scripts do not run: no dialog")
	require.True(t, eval[bool](b, `[...document.styleSheets].some(s => s.href.endsWith('/static/retry/1/app.css') && s.cssRules.length > 0)`),
		"the style sheet is loaded again")
	require.Equal(t, "grid", eval[string](b, "getComputedStyle("+q("#cards")+").display"), "and applies")
}

// When a module cannot be loaded at all, the page says so after a few
// tries instead of loading forever.
func TestDockerUISaysWhenItsScriptsCannotLoad(t *testing.T) {
	w := newWorld(t)
	b := newBrowser(t, w)
	failed := b.failRequests("*/js/app.js")
	b.navigate(b.base + "/")
	b.waitJS(q("#list-loading")+".textContent.includes('could not load its scripts')", "the page does not say it gave up")
	require.Equal(t, 6, failed(), "the first load and five more")
	require.True(t, eval[bool](b, q("#list-loading")+".classList.contains('bad')"))
}
