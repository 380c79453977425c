// The live feed of blocked attempts of one project: the daemon's NDJSON
// event stream (fetch, so the token goes in a header; EventSource cannot
// send one), newest first, repeats of the same target folded into one row.
// A refused name, asked for in DNS or carried by a connection (TLS SNI,
// HTTP Host), offers "Allow" (for good) and "Allow for 1 hour" (a grant the
// daemon removes when it expires), unless a deny entry refuses it.
import { follow, call, seg } from './api.js';
import { h, reconcile } from './dom.js';
import { clock, allowedBy, deniedBy, pushMessage } from './format.js';
import { store, soon } from './store.js';
import { allowEntries } from './model.js';
import { notify } from './notices.js';

const maxRows = 200;
const backlog = 100;
const grantSeconds = 3600;

let run = null; // { id, ctrl, rows, seq, list, state }

export function startFeed(id, list, state) {
  stopFeed();
  run = { id, ctrl: new AbortController(), rows: [], seq: 0, list, state };
  loop(run);
}

export function stopFeed() {
  if (run) run.ctrl.abort();
  run = null;
}

async function loop(r) {
  let delay = 1000;
  while (!r.ctrl.signal.aborted) {
    setState(r, 'connecting', 'Connecting…');
    r.rows = [];
    try {
      await follow(`/projects/${seg(r.id)}/events?follow=1&limit=${backlog}`, (ev) => add(r, ev), {
        signal: r.ctrl.signal,
        onOpen: () => {
          delay = 1000;
          setState(r, 'live', 'Live');
          renderFeed();
        },
      });
    } catch (e) {
      if (r.ctrl.signal.aborted) return;
      if (e.status === 404) {
        setState(r, 'gone', 'The project is gone.');
        return;
      }
    }
    if (r.ctrl.signal.aborted) return;
    setState(r, 'reconnecting', 'Reconnecting…');
    await new Promise((res) => setTimeout(res, delay));
    delay = Math.min(delay * 2, 10000);
  }
}

function setState(r, kind, text) {
  r.state.className = `feed-state feed-${kind}`;
  r.state.textContent = text;
}

// groupOf folds repeats: every query for one name (A, AAAA, …), every
// connection carrying one name to one address and port, every packet to
// one address and port.
function groupOf(ev) {
  if (ev.kind === 'dns-refused') return `dns ${ev.name}`;
  if (ev.kind === 'name-refused') return `named ${ev.name || ''} ${ev.reason || ''} ${ev.address} ${ev.port || ''}`;
  return `conn ${ev.address} ${ev.port || ''} ${ev.protocol}`;
}

// hostPort writes an address and port as a URL would: [2001:db8::1]:443.
function hostPort(address, port) {
  if (!port) return address || '';
  return `${String(address).includes(':') ? `[${address}]` : address}:${port}`;
}

// describe says how a row shows an event: its kind, what was tried, the
// detail, and the name an Allow button would allow ('' for none).
function describe(ev, qtypes) {
  switch (ev.kind) {
    case 'dns-refused':
      return { kind: 'dns', label: 'Name refused', target: ev.name, detail: qtypes.join(', '), name: ev.name };
    case 'name-refused':
      return {
        kind: 'named', label: 'Named connection',
        target: ev.name || 'no name',
        detail: `${ev.reason || 'not allowed'}, to ${hostPort(ev.address, ev.port)}`,
        name: ev.name || '',
      };
    default:
      return { kind: 'conn', label: 'Connection rejected', target: hostPort(ev.address, ev.port), detail: ev.protocol, name: '' };
  }
}

let pending = 0;

function add(r, ev) {
  if (!ev || typeof ev !== 'object') return;
  const group = groupOf(ev);
  const top = r.rows[0];
  if (top && top.group === group) {
    top.count++;
    top.ev = ev;
    if (ev.qtype && !top.qtypes.includes(ev.qtype)) top.qtypes.push(ev.qtype);
  } else {
    r.rows.unshift({ key: String(r.seq++), group, ev, count: 1, qtypes: ev.qtype ? [ev.qtype] : [] });
    if (r.rows.length > maxRows) r.rows.length = maxRows;
  }
  // A backlog arrives as a burst; draw once per frame.
  if (!pending) pending = requestAnimationFrame(() => {
    pending = 0;
    renderFeed();
  });
}

// renderFeed draws the rows; it runs again on every store change, since
// whether a name is allowed by now depends on the project.
export function renderFeed() {
  if (!run) return;
  const entry = store.projects.get(run.id);
  const entries = entry ? allowEntries(entry.project) : [];
  const empty = run.list.parentElement.querySelector('.feed-empty');
  if (empty) empty.hidden = run.rows.length > 0;
  reconcile(run.list, run.rows.map((row) => {
    const d = describe(row.ev, row.qtypes);
    const denied = d.name ? deniedBy(d.name, entries) : '';
    const allowed = !!d.name && allowedBy(d.name, entries);
    const view = { t: row.ev.time, c: row.count, q: row.qtypes, allowed, denied };
    return { key: row.key, sig: JSON.stringify(view), build: () => feedRow(run.id, row, d, allowed, denied) };
  }));
}

function feedRow(id, row, d, allowed, denied) {
  const ev = row.ev;
  return h('li', { class: `feed-row feed-${d.kind}`, 'data-name': d.name || null },
    h('time', { datetime: ev.time, text: clock(ev.time) }),
    h('span', { class: 'feed-kind', text: d.label }),
    h('span', { class: 'feed-target', text: d.target }),
    h('span', { class: 'feed-detail', text: d.detail }),
    row.count > 1 ? h('span', { class: 'feed-count', 'aria-label': `${row.count} times`, text: `×${row.count}` }) : null,
    d.name ? h('span', { class: 'feed-actions' }, actions(id, d.name, allowed, denied)) : null);
}

function actions(id, name, allowed, denied) {
  if (denied) return h('span', { class: 'denied-by', text: `denied by ${denied}` });
  if (allowed) return h('span', { class: 'allowed-now', text: 'allowed now' });
  return [
    h('button', {
      type: 'button', class: 'small', 'data-focus': 'allow', 'aria-label': `Allow ${name}`,
      onclick: () => allow(id, name),
    }, 'Allow'),
    h('button', {
      type: 'button', class: 'small', 'data-focus': 'grant', 'aria-label': `Allow ${name} for 1 hour`,
      onclick: () => grant(id, name),
    }, 'Allow for 1 hour'),
  ];
}

async function allow(id, name) {
  try {
    const res = await call('PATCH', `/projects/${seg(id)}`, { addDomains: [name] });
    notify(`${name} allowed for good. ${pushMessage(res.push, res.project.desired)}`, 'ok');
  } catch (e) {
    notify(`Allowing ${name} failed: ${e.message}`, 'error');
  }
  soon();
}

async function grant(id, name) {
  try {
    const res = await call('POST', `/projects/${seg(id)}/grants`, { domain: name, ttlSeconds: grantSeconds });
    notify(`${name} allowed until ${clock(res.grant.expiresAt)}. ${pushMessage(res.push, res.project.desired)}`, 'ok');
  } catch (e) {
    notify(`Allowing ${name} for 1 hour failed: ${e.message}`, 'error');
  }
  soon();
}
