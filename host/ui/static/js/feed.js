// The live feed of blocked attempts of one project: the daemon's NDJSON
// event stream (fetch, so the token goes in a header; EventSource cannot
// send one), newest first, repeats of the same target folded into one row.
// A refused name offers "Allow" (for good) and "Allow for 1 hour" (a grant
// the daemon removes when it expires).
import { follow, call, seg } from './api.js';
import { h, reconcile } from './dom.js';
import { clock, allowedBy, pushMessage } from './format.js';
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
// packet to one address and port.
function groupOf(ev) {
  if (ev.kind === 'dns-refused') return `dns ${ev.name}`;
  return `conn ${ev.address} ${ev.port || ''} ${ev.protocol}`;
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
    const allowed = row.ev.kind === 'dns-refused' && allowedBy(row.ev.name, entries);
    const view = { t: row.ev.time, c: row.count, q: row.qtypes, allowed };
    return { key: row.key, sig: JSON.stringify(view), build: () => feedRow(run.id, row, allowed) };
  }));
}

function feedRow(id, row, allowed) {
  const ev = row.ev;
  const dns = ev.kind === 'dns-refused';
  const target = dns ? ev.name : `${ev.address}${ev.port ? ':' + ev.port : ''}`;
  const detail = dns ? row.qtypes.join(', ') : ev.protocol;
  return h('li', { class: `feed-row feed-${dns ? 'dns' : 'conn'}`, 'data-name': dns ? ev.name : null },
    h('time', { datetime: ev.time, text: clock(ev.time) }),
    h('span', { class: 'feed-kind', text: dns ? 'Name refused' : 'Connection rejected' }),
    h('span', { class: 'feed-target', text: target }),
    h('span', { class: 'feed-detail', text: detail }),
    row.count > 1 ? h('span', { class: 'feed-count', 'aria-label': `${row.count} times`, text: `×${row.count}` }) : null,
    dns ? h('span', { class: 'feed-actions' }, allowed
      ? h('span', { class: 'allowed-now', text: 'allowed now' })
      : [
        h('button', {
          type: 'button', class: 'small', 'data-focus': 'allow', 'aria-label': `Allow ${ev.name}`,
          onclick: () => allow(id, ev.name),
        }, 'Allow'),
        h('button', {
          type: 'button', class: 'small', 'data-focus': 'grant', 'aria-label': `Allow ${ev.name} for 1 hour`,
          onclick: () => grant(id, ev.name),
        }, 'Allow for 1 hour'),
      ]) : null);
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
