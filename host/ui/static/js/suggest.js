// The project page's suggestions: the entries that would allow what the
// agent was refused (GET …/suggestions: registrable domains, never a public
// suffix), most refused first, each with an Allow button that adds the
// entry. Read when the page opens and every few seconds while it stays.
import { call, seg } from './api.js';
import { h, reconcile } from './dom.js';
import { clock, pushMessage } from './format.js';
import { soon } from './store.js';
import { notify } from './notices.js';

const every = 5000;

let run = null; // { id, list, timer }

export function suggestionsPanel() {
  const list = h('ol', { class: 'suggestions', 'aria-label': 'Suggested entries, most refused first' });
  const panel = h('section', { class: 'panel suggest-panel', 'aria-labelledby': 'suggest-title' },
    h('h3', { id: 'suggest-title', text: 'Suggested entries' }),
    h('p', { class: 'hint', text: 'What the agent was refused, grouped by the entry that would allow it.' }),
    h('p', { class: 'suggest-empty muted', text: 'Nothing refused that an entry could allow.' }),
    list);
  return { panel, list };
}

export function startSuggestions(id, list) {
  stopSuggestions();
  run = { id, list, timer: 0 };
  refresh(run);
}

export function stopSuggestions() {
  if (run) clearTimeout(run.timer);
  run = null;
}

async function refresh(r) {
  try {
    const items = await call('GET', `/projects/${seg(r.id)}/suggestions`);
    if (run !== r) return;
    render(r, items || []);
  } catch {
    // the next round tries again
  }
  if (run === r) r.timer = setTimeout(() => refresh(r), every);
}

function render(r, items) {
  const empty = r.list.parentElement && r.list.parentElement.querySelector('.suggest-empty');
  if (empty) empty.hidden = items.length > 0;
  reconcile(r.list, items.map((s) => ({ key: s.entry, sig: JSON.stringify(s), build: () => row(r.id, s) })));
}

function row(id, s) {
  const names = (s.names || []).map((n) => `${n.name} (${n.count})`).join(', ');
  return h('li', { class: 'suggestion', 'data-entry': s.entry },
    h('span', { class: 'suggest-entry', text: s.entry }),
    h('span', { class: 'suggest-count', text: `${s.count} refused, last at ${clock(s.lastSeen)}` }),
    h('span', { class: 'suggest-names muted', text: names }),
    h('button', {
      type: 'button', class: 'small', 'data-focus': `suggest-${s.entry}`, 'aria-label': `Allow ${s.entry}`,
      onclick: () => allow(id, s.entry),
    }, 'Allow'));
}

async function allow(id, entry) {
  try {
    const res = await call('PATCH', `/projects/${seg(id)}`, { addDomains: [entry] });
    notify(`${entry} allowed. ${pushMessage(res.push, res.project.desired)}`, 'ok');
  } catch (e) {
    notify(`Allowing ${entry} failed: ${e.message}`, 'error');
  }
  if (run && run.id === id) {
    clearTimeout(run.timer);
    refresh(run);
  }
  soon();
}
