package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// termText is the terminal's buffer (xterm.js), scrollback included.
const termText = "(window.wardenTerminal ? window.wardenTerminal.text() : '')"

// typeInTerminal types into xterm.js's input as a user does.
func (b *browser) typeInTerminal(text string) {
	b.t.Helper()
	b.waitJS(q(".xterm-helper-textarea"), "the terminal has no input")
	b.do(chromedp.SendKeys(chromedp.CSS(".xterm-helper-textarea"), text))
}

// ptySize asks the shell in the terminal for its terminal's size.
func (b *browser) ptySize(marker string) string {
	b.t.Helper()
	b.typeInTerminal("echo " + marker + "-$(stty size | tr ' ' x)\n")
	re := regexp.MustCompile(marker + `-(\d+x\d+)`)
	b.waitJS("/"+marker+`-\d+x\d+/.test(`+termText+")", "the shell did not print its size")
	m := re.FindStringSubmatch(eval[string](b, termText))
	require.NotNil(b.t, m)
	return m[1]
}

func TestDockerUITerminalSessionSurvivesAReload(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("none")
	b := newBrowser(t, w)
	b.open("/#/projects/" + id)
	b.waitJS(q(".state-label")+".textContent === 'Running'", "the detail does not show the project running")

	b.press("#terminal-shell")
	b.waitJS("window.wardenTerminal && window.wardenTerminal.attached", "the shell session did not attach")
	session := eval[string](b, "window.wardenTerminal.session")
	require.Regexp(t, `^shell-\d+$`, session)

	b.typeInTerminal("echo hi-$RANDOM\n")
	b.waitJS(`/^hi-\d+$/m.test(`+termText+`)`, "the echo never showed in the terminal")
	hi := regexp.MustCompile(`(?m)^hi-\d+$`).FindString(eval[string](b, termText))
	require.NotEmpty(t, hi)
	b.screenshot("ui-terminal")

	// Copy: the selection holds the screen's text. Paste: what the
	// browser pastes is typed into the shell.
	b.exec("window.wardenTerminal.term.selectAll()")
	require.Contains(t, eval[string](b, "window.wardenTerminal.term.getSelection()"), hi)
	b.exec("window.wardenTerminal.term.clearSelection()")
	b.exec(`(() => { const dt = new DataTransfer(); dt.setData('text/plain', 'echo pasted-$((40+2))');
		document.querySelector('.xterm-helper-textarea').dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true })); })()`)
	// bash takes a paste as text (bracketed paste) until Enter.
	b.waitJS(termText+`.includes('echo pasted-$((40+2))')`, "the paste did not reach the shell")
	b.typeInTerminal("\n")
	b.waitJS(`/^pasted-42$/m.test(`+termText+`)`, "the pasted line did not run")

	// The window shrinks: the terminal fits it, and the shell's terminal
	// takes the new size.
	before := b.ptySize("size1")
	cols0 := eval[int](b, "window.wardenTerminal.term.cols")
	b.do(chromedp.EmulateViewport(700, 700))
	b.waitJS("window.wardenTerminal.term.cols < "+itoa(cols0), "the terminal did not fit the smaller window")
	rows := eval[int](b, "window.wardenTerminal.term.rows")
	cols := eval[int](b, "window.wardenTerminal.term.cols")
	// The resize travels to the daemon as the shell runs; ask again
	// (a fresh marker each time) until it shows or the tries run out.
	var after string
	for i := range 20 {
		after = b.ptySize("size2n" + itoa(i))
		if after == itoa(rows)+"x"+itoa(cols) {
			break
		}
	}
	require.Equal(t, itoa(rows)+"x"+itoa(cols), after, "the shell's terminal has the browser terminal's size")
	require.NotEqual(t, before, after)
	b.screenshot("ui-terminal-narrow")

	// A reload attaches to the same session, with its screen.
	b.do(chromedp.EmulateViewport(1280, 900))
	b.load(b.base+"/#/projects/"+id, "window.wardenTerminal && window.wardenTerminal.attached", "the reloaded page did not attach again")
	require.Equal(t, session, eval[string](b, "window.wardenTerminal.session"), "the same session")
	b.waitJS(termText+".includes("+js(hi)+")", "the reloaded terminal does not show the earlier output")
	sessions := w.sessions(id)
	require.True(t, sessions[session].Running)
	require.Equal(t, 1, sessions[session].Clients, "the old page's stream is gone, the new one attached")
	b.screenshot("ui-terminal-reloaded")

	// The session's end shows with its exit code.
	b.typeInTerminal("exit 4\n")
	b.waitJS(q("#terminal-status")+".textContent.includes('exited with code 4')", "the end of the session is not shown")
	require.True(t, strings.Contains(eval[string](b, termText), "exited with code 4"))
	b.waitJS(q(`#terminal-sessions [data-session="`+session+`"]`)+".textContent.includes('exited with code 4')", "the list does not show the end")

	// "Agent" runs the agent type's command; the test image has no
	// claude, so the engine's code for a program it cannot start shows.
	b.press("#terminal-agent")
	b.waitJS(q("#terminal-status")+".textContent.includes('exited with code 126')", "the agent session's end is not shown")
	require.Contains(t, eval[string](b, termText), `"claude": executable file not found`)
	b.screenshot("ui-terminal-agent-ended")
}
