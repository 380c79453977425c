// One project in full: its state and actions, the sidecar's own report,
// the allowlist with the temporary grants and their time left, the ports,
// and the live feed of what was blocked.
import { h, reconcile } from './dom.js';
import { call, seg } from './api.js';
import { store, soon } from './store.js';
import { stateOf, portsOf, agentName } from './model.js';
import { modeBadge, stateLine, progressBar, portChips, actionButtons } from './widgets.js';
import { startFeed, stopFeed, renderFeed } from './feed.js';
import { suggestionsPanel, startSuggestions, stopSuggestions } from './suggest.js';
import { ms, clock, plural, timeLeft, pushMessage } from './format.js';
import { notify } from './notices.js';
import { mountTerminal, unmountTerminal } from './terminal.js';

let shown = ''; // the project on screen
let parts = null; // { head, sections }

const view = () => document.getElementById('detail-view');

export function showDetail(id) {
  if (shown === id) return;
  shown = id;
  const root = view();
  const head = h('div', { class: 'detail-head' });
  const sections = h('div', { class: 'detail-grid' });
  const feedList = h('ol', { class: 'feed', 'aria-label': 'Blocked attempts, newest first' });
  const feedState = h('span', { class: 'feed-state' });
  const suggestions = suggestionsPanel();
  root.replaceChildren(
    h('nav', { class: 'crumbs' }, h('a', { href: '#/', text: '← All projects' })),
    head,
    sections,
    mountTerminal(id),
    suggestions.panel,
    h('section', { class: 'panel feed-panel', 'aria-labelledby': 'feed-title' },
      h('div', { class: 'panel-head' },
        h('h3', { id: 'feed-title', text: 'Blocked attempts' }),
        h('span', { role: 'status' }, feedState)),
      h('p', { class: 'hint', text: 'Names the agent was refused and connections the firewall rejected, newest first.' }),
      h('p', { class: 'feed-empty muted', text: 'Nothing blocked yet.' }),
      feedList));
  parts = { head, sections };
  root.hidden = false;
  document.getElementById('list-view').hidden = true;
  renderDetail();
  startFeed(id, feedList, feedState);
  startSuggestions(id, suggestions.list);
  const title = root.querySelector('#detail-title');
  if (title) title.focus();
}

export function hideDetail() {
  if (!shown) return;
  const left = shown;
  shown = '';
  parts = null;
  stopFeed();
  unmountTerminal();
  stopSuggestions();
  view().hidden = true;
  view().replaceChildren();
  document.getElementById('list-view').hidden = false;
  document.title = 'Warden';
  // Back on the list, the keyboard continues from the project just left.
  const back = document.querySelector(`[data-project-id="${CSS.escape(left)}"] .card-title a`);
  if (back) back.focus();
}

export function renderDetail() {
  if (!shown || !parts) return;
  const entry = store.projects.get(shown);
  if (!entry) {
    if (store.loaded && !store.busy.has(shown)) {
      parts.head.replaceChildren(h('h2', { id: 'detail-title', tabindex: '-1', text: 'Project not found' }),
        h('p', { text: 'It may have been deleted.' }));
      parts.sections.replaceChildren();
    }
    return;
  }
  const p = entry.project;
  document.title = `${p.name} · Warden`;
  const state = stateOf(entry);
  const headView = { p, state, agent: agentName(p.agentType) };
  reconcile(parts.head, [{ key: 'head', sig: JSON.stringify(headView), build: () => header(headView) }]);
  const s = entry.status || {};
  const sidecarView = { sc: s.sidecar || null, err: s.sidecarError || '', running: Boolean(s.running), pending: Boolean(s.policyPending && p.desired === 'running') };
  const allowView = { mode: p.mode, domains: p.domains || [], grants: p.grants || [] };
  const portsView = { p: { id: p.id, name: p.name, agentType: p.agentType }, ports: portsOf(entry), api: store.portsAPI,
    wardenError: s.wardenFileError || '' };
  reconcile(parts.sections, [
    { key: 'sidecar', sig: JSON.stringify(sidecarView), build: () => sidecarPanel(sidecarView) },
    { key: 'allow', sig: JSON.stringify(allowView), build: () => allowPanel(p.id, allowView) },
    { key: 'ports', sig: JSON.stringify(portsView), build: () => portsPanel(portsView) },
  ]);
  renderFeed();
}

function header({ p, state, agent }) {
  return h('div', {},
    h('div', { class: 'title-row' },
      h('h2', { id: 'detail-title', tabindex: '-1', text: p.name }),
      modeBadge(p.mode)),
    stateLine(state),
    progressBar(state, p.name),
    h('p', { class: 'meta' },
      h('span', { text: agent }), ' · ',
      h('span', { class: 'path', text: p.workspace }), ' · ',
      h('span', { class: 'muted', text: 'id ' + p.id })),
    h('p', { class: 'meta', id: 'detail-limits', text: limitsText(p.limits, store.presets && store.presets.limits) }),
    h('p', { class: 'meta', id: 'detail-host', text: hostText(p) }),
    p.gitConfigWritable ? h('p', { class: 'bad', id: 'detail-git-warning', role: 'note',
      text: 'Warning: the agent may write this repository\'s .git/config and hooks, which your own git runs.' }) : null,
    p.previewCspOff && p.mode !== 'full' ? h('p', { class: 'bad', id: 'detail-preview-csp-warning', role: 'note',
      text: 'Warning: previews have no Content-Security-Policy of Warden\'s; a page the agent serves may send what it reads to any site once you open it.' }) : null,
    actionButtons(p, state, { details: false }));
}

// hostText reads "The host: every port but Warden's", or the ports.
function hostText(p) {
  switch (p.hostAccess) {
    case 'ports': return `The host: ports ${(p.hostPorts || []).join(', ')} only`;
    case 'none': return 'The host: nothing';
    default: return 'The host: every port but Warden\'s';
  }
}

// limitsText reads "Limits: 1024 processes · 4096 MiB · 2 CPUs", a project's
// own values over the defaults.
function limitsText(own, defaults) {
  const v = (key) => (own && own[key]) || (defaults && defaults[key]) || '?';
  return `Limits: ${v('pids')} processes · ${v('memoryMB')} MiB · ${v('cpus')} CPUs`;
}

function sidecarPanel({ sc, err, running, pending }) {
  const rows = [];
  const row = (term, ...desc) => rows.push(h('div', {}, h('dt', { text: term }), h('dd', {}, ...desc)));
  if (sc) {
    row('Ready', sc.ready ? 'yes' : 'no');
    row('Mode', modeBadge(sc.mode));
    row('Enforced domains', plural((sc.domains || []).length, 'name', 'names'));
    const dns = sc.dns || {};
    row('Queries allowed', String(dns.allowed ?? 0));
    row('Queries refused', String(dns.refused ?? 0));
    const eg = sc.egress || {};
    row('Connections checked by name', `${eg.checked ?? 0} (${eg.refused ?? 0} refused, ${eg.open ?? 0} open)`);
    for (const set of sc.sets || []) {
      row(`Addresses in ${set.name} (${set.family === 'inet6' ? 'IPv6' : 'IPv4'})`,
        `${set.entries} of ${set.max}`, set.full ? h('strong', { class: 'bad', text: ' full' }) : null);
    }
    if (sc.lastApply) {
      row('Last policy change', `applied in ${ms(sc.lastApply.durationMs)} at ${clock(sc.lastApply.appliedAt)}`,
        sc.lastApply.error ? h('span', { class: 'bad', text: ' — ' + sc.lastApply.error }) : null);
    }
    if (pending) row('Stored change', h('span', { class: 'pending', text: 'pending: not yet confirmed by the sidecar' }));
    for (const problem of sc.problems || []) row('Problem', h('span', { class: 'bad', text: problem }));
  }
  return h('section', { class: 'panel', 'aria-labelledby': 'sidecar-title' },
    h('h3', { id: 'sidecar-title', text: 'Sidecar' }),
    sc ? h('dl', { class: 'facts' }, rows)
      : h('p', { class: 'muted', text: err ? 'The sidecar does not answer: ' + err : running ? 'No report yet.' : 'The sidecar is not running.' }));
}

function allowPanel(id, { mode, domains, grants }) {
  return h('section', { class: 'panel', 'aria-labelledby': 'allow-title' },
    h('h3', { id: 'allow-title', text: allowTitle(domains) }),
    mode !== 'restricted' ? h('p', { class: 'hint', text: `The allowlist is kept but not used in ${mode} mode.` }) : null,
    domains.length ? h('ul', { class: 'domain-list' }, domains.map(domainItem))
      : h('p', { class: 'muted', text: 'None.' }),
    h('h4', { text: 'Temporary grants' }),
    grants.length ? h('ul', { class: 'grants', 'aria-label': 'Temporary grants' }, grants.map((g) => h('li', { class: 'grant', 'data-grant': g.domain },
      h('span', { class: 'grant-domain', text: g.domain }),
      h('span', { class: 'grant-left' }, h('span', { class: 'visually-hidden', text: 'time left ' }),
        h('span', { 'data-expires': g.expiresAt, text: timeLeft(g.expiresAt) })),
      h('button', {
        type: 'button', class: 'small', 'data-focus': `revoke-${g.domain}`, 'aria-label': `Revoke the grant for ${g.domain}`,
        onclick: () => revoke(id, g.domain),
      }, 'Revoke'))))
      : h('p', { class: 'muted grants-empty', text: 'None. "Allow for 1 hour" in the feed below adds one.' }));
}

function allowTitle(domains) {
  const denied = domains.filter((d) => d.startsWith('!')).length;
  return `Allowed domains (${domains.length - denied}${denied ? `, ${denied} denied` : ''})`;
}

// domainItem shows an allow entry as its name, and a deny entry
// ("!gist.github.com") as its name marked denied.
export function domainItem(d) {
  if (!d.startsWith('!')) return h('li', { 'data-entry': d, text: d });
  return h('li', { class: 'domain-deny', 'data-entry': d, title: `${d.slice(1)} and every name under it are refused, even where an allowed entry covers them` },
    h('span', { class: 'deny-mark', text: 'denied' }), ' ', h('span', { text: d.slice(1) }));
}

function portsPanel({ p, ports, api, wardenError }) {
  return h('section', { class: 'panel', 'aria-labelledby': 'ports-title' },
    h('h3', { id: 'ports-title', text: 'Ports' }),
    portChips(p, ports),
    api === false ? h('p', { class: 'hint', text: 'This daemon does not report which ports the agent listens on; only forwarded ports are shown.' }) : null,
    wardenError ? h('p', { class: 'bad', text: '.warden.json: ' + wardenError }) : null);
}

async function revoke(id, domain) {
  try {
    const res = await call('DELETE', `/projects/${seg(id)}/grants/${seg(domain)}`);
    notify(`The grant for ${domain} is revoked. ${pushMessage(res.push, res.project.desired)}`, 'ok');
  } catch (e) {
    notify(`Revoking the grant for ${domain} failed: ${e.message}`, 'error');
  }
  soon();
}
