package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

// TestDockerNameBinding is the shared-address attack against a real project:
// shared-a.example.net is allowed and its address also serves
// shared-b.example.org. The agent names the other site in Host; the request
// is refused and recorded, and allowing the name opens it.
func TestDockerNameBinding(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("restricted", "shared-a.example.net")
	shared4 := w.ip(zoneHosts["shared-a.example.net."])
	require.True(t, w.probe(id, "resolve", "shared-a.example.net").OK)

	ok := w.probe(id, "http", "http://"+shared4+"/", "-host", "shared-a.example.net")
	require.True(t, ok.OK, ok.Error)
	require.Equal(t, http.StatusOK, ok.Status)
	require.Equal(t, "hello from "+shared4, ok.Reply)

	refused := w.probe(id, "http", "http://"+shared4+"/", "-host", "shared-b.example.org")
	require.False(t, refused.OK, "another name on the allowed address is refused")
	require.Contains(t, refused.Error, "connection reset by peer")

	tlsOK := w.probe(id, "tls", shared4+":443", "-sni", "shared-a.example.net")
	require.True(t, tlsOK.OK, tlsOK.Error)
	require.Equal(t, "hello shared-a.example.net via shared-a.example.net from "+shared4, tlsOK.Reply)
	tlsRefused := w.probe(id, "tls", shared4+":443", "-sni", "shared-b.example.org")
	require.False(t, tlsRefused.OK)
	require.Contains(t, tlsRefused.Error, "connection reset by peer", "another SNI on the allowed address is refused")
	noSNI := w.probe(id, "tls", shared4+":443")
	require.False(t, noSNI.OK, "TLS without SNI is refused")

	udp := w.probe(id, "udp", shared4+":7")
	require.False(t, udp.OK, "UDP to an allowed address is refused")

	var events []shared.Event
	require.NoError(t, json.Unmarshal([]byte(w.mustCLI("events", id, "--json")), &events))
	ports := map[int]bool{}
	for _, e := range events {
		if e.Kind == shared.EventNameRefused && e.Name == "shared-b.example.org" {
			require.Equal(t, shared4, e.Address)
			ports[e.Port] = true
		}
	}
	require.Equal(t, map[int]bool{80: true, 443: true}, ports, "name-refused events for shared-b.example.org over HTTP and TLS among %+v", events)
	contacts := 0
	for _, e := range events {
		if e.Kind == shared.EventConnAllowed && e.Name == "shared-a.example.net" {
			require.Equal(t, shared4, e.Address)
			contacts++
		}
	}
	require.Equal(t, 1, contacts, "the audit log holds the name check's first connection for the allowed name, once, among %+v", events)

	status, body := w.api(t, http.MethodPost, "/projects/"+id+"/grants", map[string]any{"domain": "shared-b.example.org", "ttlSeconds": 3600})
	require.Equal(t, http.StatusCreated, status, string(body))
	again := w.probe(id, "http", "http://"+shared4+"/", "-host", "shared-b.example.org")
	require.Equal(t, http.StatusOK, again.Status, "allowing the name lets the next connection through: %s", again.Reply)
	require.True(t, strings.HasPrefix(again.Reply, "hello from"))
	againTLS := w.probe(id, "tls", shared4+":443", "-sni", "shared-b.example.org")
	require.True(t, againTLS.OK, againTLS.Error)
}

// TestDockerUINamedConnectionAllowed: a connection refused for the name it
// carried reaches the project page's feed as its own kind, and its Allow
// button opens the name for the next connection.
func TestDockerUINamedConnectionAllowed(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("restricted", "shared-a.example.net")
	shared4 := w.ip(zoneHosts["shared-a.example.net."])
	b := newBrowser(t, w)
	b.open("/#/projects/" + id)
	b.waitJS(q(".feed-state")+".textContent === 'Live'", "the feed did not go live")

	require.True(t, w.probe(id, "resolve", "shared-a.example.net").OK)
	require.False(t, w.probe(id, "http", "http://"+shared4+"/", "-host", "shared-b.example.org").OK)
	row := `.feed-row.feed-named[data-name="shared-b.example.org"]`
	b.waitJS(q(row), "the connection refused for its name never reached the feed")
	require.Contains(t, b.text(row), shared4)
	b.waitJS(`document.querySelector('.detail-grid').textContent.includes('1 refused')`, "the sidecar panel does not count the refused connection")
	b.screenshot("ui-feed-named")

	b.press(row + ` button[data-focus="allow"]`)
	b.waitJS(`[...document.querySelectorAll('#notices .notice')].some(n => n.textContent.includes('shared-b.example.org allowed for good'))`,
		"no notice that the name is allowed")
	require.Contains(t, w.project(t, id).Domains, "shared-b.example.org")
	r := w.probe(id, "http", "http://"+shared4+"/", "-host", "shared-b.example.org")
	require.Equal(t, http.StatusOK, r.Status, "the next connection naming it passes: %+v", r)
}
