// Pieces shared by the cards and the detail view.
import { h, visuallyHidden } from './dom.js';
import { previewURL } from './model.js';
import { lifecycle, remove, forward } from './actions.js';
import { openEdit } from './edit.js';

export function modeBadge(mode) {
  return h('span', { class: `badge mode-${mode}` }, visuallyHidden('Network mode: '), mode);
}

export function stateLine(state) {
  return h('p', { class: `state state-${state.kind}` },
    h('span', { class: 'dot', 'aria-hidden': 'true' }),
    h('span', { class: 'state-label', text: state.label }),
    state.reason ? h('span', { class: 'state-reason', text: ': ' + state.reason }) : null);
}

export function progressBar(state, name) {
  if (!state.progress) return null;
  return h('div', { class: 'progress' },
    h('progress', { max: state.progress.max, value: state.progress.value, 'aria-label': `${state.label} ${name}` }),
    h('span', { class: 'progress-text', text: state.progress.text }));
}

// portChips: one link per declared port, and the listening ports that are
// not declared apart, each with a forward button.
export function portChips(p, ports) {
  const chips = [];
  for (const port of ports.declared) {
    const url = previewURL(p, port, ports.urls);
    chips.push(url
      ? h('a', {
        class: 'chip', href: url, target: '_blank', rel: 'noopener noreferrer', 'data-focus': `port-${port}`,
        'aria-label': `Open port ${port} of ${p.name} in a new tab`,
      }, String(port), h('span', { 'aria-hidden': 'true', text: ' ↗' }))
      : h('span', { class: 'chip', text: String(port) }));
  }
  const undeclared = ports.undeclared.map((port) => h('span', { class: 'chip chip-undeclared' },
    h('span', { text: String(port) }),
    h('button', {
      type: 'button', class: 'link', 'data-focus': `forward-${port}`,
      'aria-label': `Forward port ${port} of ${p.name}`, onclick: () => forward(p.id, port), text: 'forward',
    })));
  return h('div', { class: 'ports' },
    chips.length ? h('div', { class: 'chips', role: 'list', 'aria-label': 'Forwarded ports' },
      chips.map((c) => h('span', { role: 'listitem' }, c))) : h('span', { class: 'muted', text: 'No forwarded ports' }),
    undeclared.length ? h('div', { class: 'chips undeclared' },
      h('span', { class: 'muted', text: 'Listening, not forwarded:' }), undeclared) : null);
}

// actionButtons fits the buttons to the state: a running project stops or
// restarts, a stopped one starts; nothing runs twice at once.
export function actionButtons(p, state, { details = true } = {}) {
  const busy = Boolean(state.busy);
  const up = state.kind === 'running' || (state.kind === 'error' && p.desired === 'running') || state.kind === 'starting';
  const b = (key, text, label, onclick, cls) => h('button', {
    type: 'button', class: cls, 'data-focus': key, 'aria-label': `${label} ${p.name}`, disabled: busy, onclick,
  }, text);
  return h('div', { class: 'actions' },
    up ? b('stop', 'Stop', 'Stop', () => lifecycle(p.id, 'stop')) : b('start', 'Start', 'Start', () => lifecycle(p.id, 'start'), 'primary'),
    up ? b('restart', 'Restart', 'Restart', () => lifecycle(p.id, 'restart')) : null,
    b('edit', 'Edit', 'Edit', () => openEdit(p.id)),
    details ? h('a', { class: 'button', href: `#/projects/${p.id}`, 'data-focus': 'details', 'aria-label': `Details of ${p.name}` }, 'Details') : null,
    b('delete', 'Delete', 'Delete', async () => {
      if (await remove(p.id) && location.hash.startsWith('#/projects/')) location.hash = '#/';
    }, 'danger'));
}
