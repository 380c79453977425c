package proxy

import (
	"html/template"
	"net/http"
	"strconv"
	"time"
)

// PageHeader names, on every page the proxy writes itself, why it wrote it
// (the page kinds below), so tools and tests can tell the proxy's answer
// from the dev server's.
const PageHeader = "X-Warden-Preview"

// Page kinds, the values of PageHeader.
const (
	PageBadHost        = "bad-host"
	PageBadRequest     = "bad-request"
	PageForeignOrigin  = "foreign-origin"
	PageUnknownProject = "unknown-project"
	PageWrongAgent     = "wrong-agent-type"
	PageUndeclared     = "port-not-forwarded"
	PageReservedPort   = "port-reserved"
	PageStopped        = "project-stopped"
	PageNotRunning     = "project-not-running"
	PageNotListening   = "nothing-listening"
	PageUnreachable    = "dev-server-unreachable"
	PageNoAnswer       = "dev-server-no-answer"
)

// page is one of the proxy's own answers.
type page struct {
	Kind  string
	Title string
	Lines []string
	// Code, when set, is shown as a command or file to copy.
	Code []string
	// Link, when set, is a URL the user probably meant.
	Link string
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · Warden preview</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#222}
h1{font-size:1.3rem}pre{background:#f4f4f4;padding:.6rem .8rem;overflow-x:auto}small{color:#777}</style>
</head><body><h1>{{.Title}}</h1>
{{range .Lines}}<p>{{.}}</p>
{{end}}{{if .Code}}<pre>{{range .Code}}{{.}}
{{end}}</pre>
{{end}}{{if .Link}}<p><a href="{{.Link}}">{{.Link}}</a></p>
{{end}}<p><small>Answered by Warden's preview proxy ({{.Kind}}).</small></p>
</body></html>
`))

// writePage writes pg with status code. The page is never cached: the
// reason may be gone a moment later.
func writePage(w http.ResponseWriter, code int, pg page) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(PageHeader, pg.Kind)
	h.Set(cspHeader, pageCSP)
	w.WriteHeader(code)
	_ = pageTemplate.Execute(w, pg)
}

func badHostPage(err error) page {
	return page{Kind: PageBadHost, Title: "Not a preview address",
		Lines: []string{err.Error()}}
}

func foreignOriginPage(h Host, origin string) page {
	return page{Kind: PageForeignOrigin, Title: "Request from another site refused",
		Lines: []string{
			"A page at " + strconv.Quote(origin) + " tried to open a WebSocket to this preview or to send it a request that browsers check first.",
			"Only the preview's own pages (" + h.Origin() + ") may do that, so a page elsewhere cannot drive the agent's dev server.",
		}}
}

func unknownProjectPage(h Host, ui string) page {
	return page{Kind: PageUnknownProject, Title: "No such project",
		Lines: []string{"No project has the id " + h.ProjectID + ". `warden project ls` lists the projects and their ids."},
		Link:  ui}
}

func wrongAgentPage(h Host, t Target) page {
	right := h
	right.AgentType = t.AgentType
	return page{Kind: PageWrongAgent, Title: "Wrong agent type in the address",
		Lines: []string{"Project " + t.Name + " (" + t.ID + ") runs agent type " + strconv.Quote(t.AgentType) +
			", not " + strconv.Quote(h.AgentType) + ". Its preview of port " + strconv.Itoa(h.Port) + " is at:"},
		Link: right.Origin() + "/"}
}

func undeclaredPage(h Host, t Target) page {
	declared := "none"
	if len(t.Ports) > 0 {
		declared = ""
		for i, p := range t.Ports {
			if i > 0 {
				declared += ", "
			}
			declared += strconv.Itoa(p)
		}
	}
	port := strconv.Itoa(h.Port)
	return page{Kind: PageUndeclared, Title: "Port " + port + " is not forwarded",
		Lines: []string{
			"Project " + t.Name + " forwards only the ports it declares (now: " + declared + "). Declare " + port + " in either of these ways; it works at once, with no restart:",
		},
		Code: []string{
			"warden ports add " + t.Name + " " + port,
			"",
			"# or, in the workspace's .warden.json:",
			`{"forwardedPorts": [` + port + `]}`,
		}}
}

func reservedPortPage(h Host) page {
	return page{Kind: PageReservedPort, Title: "Port 53 is never forwarded",
		Lines: []string{"In every project's network namespace port 53 belongs to Warden's DNS filter, which the preview proxy never reaches. Run the dev server on another port."}}
}

func stoppedPage(t Target) page {
	return page{Kind: PageStopped, Title: "Project " + t.Name + " is stopped",
		Lines: []string{"Its containers are not running, so there is no dev server to show. Start it and reload:"},
		Code:  []string{"warden project start " + t.Name}}
}

func notRunningPage(t Target) page {
	lines := []string{"Project " + t.Name + " is meant to run but its containers are not running yet; Warden keeps starting them. Reload in a moment."}
	if t.Problem != "" {
		lines = append(lines, "What the engine says: "+t.Problem)
	}
	return page{Kind: PageNotRunning, Title: "Project " + t.Name + " is not running", Lines: lines}
}

func notListeningPage(h Host, t Target) page {
	port := strconv.Itoa(h.Port)
	return page{Kind: PageNotListening, Title: "Nothing listens on port " + port,
		Lines: []string{
			"Project " + t.Name + " runs, but no server in its container accepts connections on port " + port + ", on any address (127.0.0.1 is fine: Warden relays to it).",
			"Start the dev server, then reload.",
		}}
}

func noAnswerPage(h Host, t Target, wait time.Duration) page {
	return page{Kind: PageNoAnswer, Title: "The dev server did not answer",
		Lines: []string{
			"Port " + strconv.Itoa(h.Port) + " of project " + t.Name + " took the request but sent no answer within " + wait.String() + ".",
			"Reload to ask again; `warden serve --preview-answer-timeout` sets the wait.",
		}}
}

func unreachablePage(h Host, t Target, err error) page {
	return page{Kind: PageUnreachable, Title: "The dev server could not be reached",
		Lines: []string{"Reaching port " + strconv.Itoa(h.Port) + " of project " + t.Name + " failed: " + err.Error()}}
}
