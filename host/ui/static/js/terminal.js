// The terminal panel of the project page: sessions that run in the agent
// container, held by the daemon (they run on when the tab closes), shown in
// xterm.js. "Agent" and "Shell" start a session and attach; a session in the
// list attaches; a reload attaches again to the session this tab had, and
// the daemon replays its recent screen. The stream is the API's WebSocket
// (GET /api/v1/projects/<id>/sessions/<name>/attach): binary messages are
// one stream byte and data, text messages are JSON controls.
import { h } from './dom.js';
import { call, seg } from './api.js';

const STDIN = 0;
const tries = 4;

let xterm = null; // the loaded module: { Terminal, fit }
let cur = null; // { id, panel, term, ws, name, list, status }

const remembered = (id) => sessionStorage.getItem('warden-terminal-' + id) || '';
const remember = (id, name) => {
  if (name) sessionStorage.setItem('warden-terminal-' + id, name);
  else sessionStorage.removeItem('warden-terminal-' + id);
};

// loadXterm imports the bundle the daemon builds from Debian's xterm.js,
// again from /static/retry/<n>/ when a download failed (see boot.js).
async function loadXterm() {
  if (xterm) return xterm;
  if (!document.querySelector('link[data-xterm]')) {
    document.head.append(h('link', { rel: 'stylesheet', href: '/static/vendor/xterm.css', 'data-xterm': true }));
  }
  let last;
  for (let n = 0; n < tries; n++) {
    const url = n === 0 ? new URL('../vendor/xterm.js', import.meta.url) : new URL(`/static/retry/${n}/vendor/xterm.js`, location.href);
    try {
      xterm = await import(url.href);
      return xterm;
    } catch (e) {
      last = e;
      // The bundle throws with a message when xterm.js is not installed;
      // a failed download is a TypeError and worth another try.
      if (!(e instanceof TypeError)) break;
      await new Promise((r) => setTimeout(r, 250 * 2 ** n));
    }
  }
  throw last;
}

// mountTerminal returns the panel for project id and attaches to the
// session this tab had, or to the one running session.
export function mountTerminal(id) {
  unmountTerminal();
  const status = h('p', { class: 'terminal-status muted', id: 'terminal-status', role: 'status', text: 'No session attached.' });
  const list = h('ul', { class: 'sessions', id: 'terminal-sessions', 'aria-label': 'Sessions' });
  const screen = h('div', { class: 'terminal-screen', id: 'terminal' });
  const panel = h('section', { class: 'panel terminal-panel', 'aria-labelledby': 'terminal-title' },
    h('div', { class: 'panel-head' },
      h('h3', { id: 'terminal-title', text: 'Terminal' }),
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'terminal-agent', onclick: () => startSession('agent') }, 'Agent'),
        h('button', { type: 'button', id: 'terminal-shell', onclick: () => startSession('shell') }, 'Shell'))),
    h('p', { class: 'hint', text: 'Sessions run in the agent container and go on when you close this page. Ctrl+Shift+C copies the selection, Ctrl+Shift+V pastes.' }),
    list, status, screen);
  cur = { id, panel, screen, list, status, term: null, ws: null, name: '' };
  refreshSessions().then((sessions) => {
    if (!cur || cur.id !== id || cur.name) return;
    const running = sessions.filter((s) => s.running);
    const want = remembered(id);
    if (want && sessions.some((s) => s.name === want)) attach(want);
    else if (running.length === 1) attach(running[0].name);
  });
  return panel;
}

export function unmountTerminal() {
  if (!cur) return;
  detach();
  if (cur.term) cur.term.dispose();
  window.removeEventListener('resize', onWindowResize);
  cur = null;
  delete window.wardenTerminal;
}

function setStatus(text, kind) {
  if (!cur) return;
  cur.status.textContent = text;
  cur.status.className = 'terminal-status ' + (kind || 'muted');
}

async function refreshSessions() {
  if (!cur) return [];
  const id = cur.id;
  let sessions = [];
  try {
    sessions = await call('GET', `/projects/${seg(id)}/sessions`);
  } catch (e) {
    setStatus('Listing the sessions failed: ' + e.message, 'bad');
    return [];
  }
  if (!cur || cur.id !== id) return [];
  cur.list.replaceChildren(...sessions.map((s) => h('li', { 'data-session': s.name },
    h('button', { type: 'button', class: 'small', 'aria-pressed': String(s.name === cur.name), onclick: () => attach(s.name) }, s.name),
    ' ', h('span', { class: 'muted', text: sessionText(s) }))));
  return sessions;
}

function sessionText(s) {
  const what = (s.command || []).join(' ');
  if (s.running) return `${what} · running · ${s.clients} attached`;
  if (s.exitCode !== undefined && s.exitCode !== null) return `${what} · exited with code ${s.exitCode}`;
  return `${what} · ended: ${s.error || 'unknown'}`;
}

async function startSession(kind) {
  if (!cur) return;
  const id = cur.id;
  setStatus(`Starting a ${kind} session…`);
  try {
    await ensureTerm();
    const size = cur.term ? { rows: cur.term.rows, cols: cur.term.cols } : {};
    const s = await call('POST', `/projects/${seg(id)}/sessions`, { kind, ...size });
    if (!cur || cur.id !== id) return;
    attach(s.name);
  } catch (e) {
    setStatus(`Starting a ${kind} session failed: ${e.message}`, 'bad');
  }
}

async function ensureTerm() {
  if (cur.term) return cur.term;
  const { Terminal, fit } = await loadXterm();
  if (cur.term) return cur.term;
  const term = new Terminal({ cursorBlink: true, scrollback: 5000, fontSize: 14, rightClickSelectsWord: true,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace' });
  cur.term = term;
  cur.fit = () => { try { fit.fit(term); } catch { /* not laid out yet */ } };
  term.open(cur.screen);
  cur.fit();
  term.on('data', (d) => sendData(new TextEncoder().encode(d)));
  term.on('resize', ({ cols, rows }) => sendControl({ type: 'resize', rows, cols }));
  term.attachCustomKeyEventHandler((ev) => {
    if (ev.type !== 'keydown' || !ev.ctrlKey || !ev.shiftKey) return true;
    if (ev.code === 'KeyC') {
      if (term.hasSelection()) navigator.clipboard.writeText(term.getSelection()).catch(() => {});
      return false;
    }
    if (ev.code === 'KeyV') {
      navigator.clipboard.readText().then((t) => sendData(new TextEncoder().encode(t))).catch(() => {});
      return false;
    }
    return true;
  });
  window.addEventListener('resize', onWindowResize);
  window.wardenTerminal = {
    term,
    get session() { return cur ? cur.name : ''; },
    get attached() { return Boolean(cur && cur.ws && cur.ws.readyState === WebSocket.OPEN && cur.attached); },
    // text is the terminal's buffer, scrollback included, one line each.
    text() {
      const buf = term._core.buffer;
      const lines = [];
      for (let i = 0; i < buf.lines.length; i++) lines.push(buf.translateBufferLineToString(i, true));
      return lines.join('\n');
    },
  };
  return term;
}

let resizeTimer = 0;
function onWindowResize() {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { if (cur && cur.fit) cur.fit(); }, 50);
}

function sendData(bytes) {
  if (!cur || !cur.ws || cur.ws.readyState !== WebSocket.OPEN) return;
  const msg = new Uint8Array(bytes.length + 1);
  msg[0] = STDIN;
  msg.set(bytes, 1);
  cur.ws.send(msg);
}

function sendControl(c) {
  if (cur && cur.ws && cur.ws.readyState === WebSocket.OPEN) cur.ws.send(JSON.stringify(c));
}

function detach() {
  if (cur && cur.ws) {
    const ws = cur.ws;
    cur.ws = null;
    ws.onclose = null;
    ws.close(1000, 'detached');
  }
}

async function attach(name) {
  if (!cur) return;
  const id = cur.id;
  detach();
  try {
    await ensureTerm();
  } catch (e) {
    setStatus('The terminal cannot load: ' + e.message, 'bad');
    return;
  }
  if (!cur || cur.id !== id) return;
  const term = cur.term;
  term.reset();
  cur.name = name;
  cur.attached = false;
  remember(id, name);
  setStatus(`Attaching to ${name}…`);
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${proto}://${location.host}/api/v1/projects/${seg(id)}/sessions/${seg(name)}/attach`);
  ws.binaryType = 'arraybuffer';
  cur.ws = ws;
  const decoder = new TextDecoder();
  let ended = false;
  ws.onmessage = (ev) => {
    if (!cur || cur.ws !== ws) return;
    if (typeof ev.data !== 'string') {
      const bytes = new Uint8Array(ev.data);
      // A terminal has one stream (stdout); stderr is shown the same.
      if (bytes.length > 0 && bytes[0] !== STDIN) term.write(decoder.decode(bytes.subarray(1), { stream: true }));
      return;
    }
    const c = JSON.parse(ev.data);
    if (c.type === 'attached') {
      cur.attached = true;
      setStatus(`Attached to ${name} (${(c.session.command || []).join(' ')}).`, 'ok');
      sendControl({ type: 'resize', rows: term.rows, cols: term.cols });
      term.focus();
      refreshSessions();
    } else if (c.type === 'exit') {
      ended = true;
      term.write(`\r\n[session ${name} exited with code ${c.code}]\r\n`);
      setStatus(`Session ${name} exited with code ${c.code}.`, c.code === 0 ? 'muted' : 'bad');
      remember(id, '');
      refreshSessions();
    } else if (c.type === 'error') {
      ended = true;
      setStatus(c.message, 'bad');
      refreshSessions();
    }
  };
  ws.onclose = (ev) => {
    if (!cur || cur.ws !== ws) return;
    cur.ws = null;
    cur.attached = false;
    if (!ended) setStatus(`The stream of ${name} closed (${ev.code}${ev.reason ? ': ' + ev.reason : ''}); the session may run on. Select it to attach again.`, 'bad');
  };
}
