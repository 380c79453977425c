// The project list: one card per project, redrawn from the store. A card
// is rebuilt only when what it shows changed.
import { h, reconcile, visuallyHidden } from './dom.js';
import { store } from './store.js';
import { stateOf, portsOf, agentName } from './model.js';
import { modeBadge, stateLine, progressBar, portChips, actionButtons } from './widgets.js';
import { plural } from './format.js';

export function renderCards() {
  document.getElementById('list-loading').hidden = store.loaded || Boolean(store.daemonError);
  document.getElementById('list-empty').hidden = !store.loaded || store.order.length > 0;
  const items = [];
  for (const id of store.order) {
    const entry = store.projects.get(id);
    if (!entry) continue;
    const view = {
      p: entry.project,
      state: stateOf(entry),
      ports: portsOf(entry),
      pending: Boolean(entry.status && entry.status.policyPending && entry.project.desired === 'running'),
      agent: agentName(entry.project.agentType),
    };
    items.push({ key: id, sig: JSON.stringify(view), build: () => card(view) });
  }
  reconcile(document.getElementById('cards'), items);
}

function card({ p, state, ports, pending, agent }) {
  const titleId = `card-${p.id}-name`;
  const grants = (p.grants || []).length;
  const denied = (p.domains || []).filter((d) => d.startsWith('!')).length;
  const domains = (p.domains || []).length - denied;
  return h('li', { class: `card card-${state.kind}`, 'data-project-id': p.id },
    h('article', { 'aria-labelledby': titleId },
      h('header', { class: 'card-head' },
        h('h3', { id: titleId, class: 'card-title' },
          h('a', { href: `#/projects/${p.id}`, 'data-focus': 'title', text: p.name })),
        modeBadge(p.mode)),
      stateLine(state),
      progressBar(state, p.name),
      h('dl', { class: 'facts' },
        h('div', {}, h('dt', { text: 'Agent' }), h('dd', { text: agent })),
        h('div', {}, h('dt', { text: 'Workspace' }), h('dd', { class: 'path', title: p.workspace, text: p.workspace })),
        h('div', {}, h('dt', { text: 'Allowed' }), h('dd', { class: 'domain-count' },
          p.mode === 'restricted' ? plural(domains, 'domain', 'domains') : `${plural(domains, 'domain', 'domains')} (not used in ${p.mode} mode)`,
          grants ? ` + ${plural(grants, 'temporary grant', 'temporary grants')}` : null,
          denied ? `, ${denied} denied` : null,
          pending ? h('span', { class: 'pending' }, ' · change pending') : null))),
      h('div', { class: 'card-ports' }, visuallyHidden('Ports: '), portChips(p, ports)),
      actionButtons(p, state)));
}
