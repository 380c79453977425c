// The create dialog. The allowlist starts as the presets of the agent type
// and runtimes; when either changes, the entries the presets add or drop
// are added or dropped, and the user's own edits stay.
import { call, ApiError } from './api.js';
import { h } from './dom.js';
import { store, loadPresets, soon } from './store.js';
import { notify } from './notices.js';
import { lifecycle } from './actions.js';
import { input, lines, ports, FormError, modeChoice, setMode, getMode, showError, clearErrors, busy, closeButtons, limitInputs, limitsOf, hostInputs, hostOf } from './forms.js';

let lastPreset = [];

const dialog = () => document.getElementById('create-dialog');
const form = () => document.getElementById('create-form');

export function setupCreate() {
  const f = form();
  modeChoice(f.querySelector('[data-modes="create"]'), 'create');
  closeButtons(dialog());
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  input(f, 'agentType').addEventListener('change', followPresets);
  document.getElementById('create-runtimes').addEventListener('change', followPresets);
}

export async function openCreate() {
  const f = form();
  let presets;
  try {
    presets = await loadPresets();
  } catch (e) {
    notify('Cannot read the presets: ' + e.message, 'error');
    return;
  }
  f.reset();
  clearErrors(f);
  input(f, 'agentType').replaceChildren(...presets.agents.map((a) => h('option', { value: a.name, text: a.displayName || a.name })));
  const runtimes = Object.keys(presets.runtimes || {}).sort();
  document.getElementById('create-runtimes').replaceChildren(...runtimes.map((r) => h('div', { class: 'check' },
    h('input', { type: 'checkbox', id: `create-runtime-${r}`, name: 'runtimes', value: r }),
    h('label', { for: `create-runtime-${r}`, text: r }))));
  setMode(f, 'restricted');
  lastPreset = presetDomains();
  input(f, 'domains').value = lastPreset.join('\n');
  input(f, 'start').checked = true;
  limitInputs(f, null, presets.limits);
  hostInputs(f, 'all', []);
  dialog().showModal();
  input(f, 'name').focus();
}

function chosenRuntimes() {
  return [...form().querySelectorAll('input[name="runtimes"]:checked')].map((c) => c.value);
}

function presetDomains() {
  const p = store.presets;
  const agent = p.agents.find((a) => a.name === input(form(), 'agentType').value);
  const out = new Set(p.infrastructure || []);
  for (const d of (agent && agent.domains) || []) out.add(d);
  for (const r of chosenRuntimes()) for (const d of (p.runtimes[r] || [])) out.add(d);
  return [...out].sort();
}

function followPresets() {
  const f = form();
  const next = presetDomains();
  const dropped = lastPreset.filter((d) => !next.includes(d));
  const added = next.filter((d) => !lastPreset.includes(d));
  const current = lines(input(f, 'domains').value).filter((d) => !dropped.includes(d));
  for (const d of added) if (!current.includes(d)) current.push(d);
  input(f, 'domains').value = current.join('\n');
  lastPreset = next;
}

async function submit() {
  const f = form();
  clearErrors(f);
  let spec;
  try {
    spec = {
      name: input(f, 'name').value,
      workspace: input(f, 'workspace').value.trim(),
      agentType: input(f, 'agentType').value,
      runtimes: chosenRuntimes(),
      mode: getMode(f),
      domains: lines(input(f, 'domains').value),
      ports: ports(input(f, 'ports').value),
      limits: limitsOf(f),
      gitConfigWritable: input(f, 'gitConfigWritable').checked,
      previewCspOff: input(f, 'previewCspOff').checked,
      ...hostOf(f),
    };
    if (input(f, 'image').value.trim()) spec.image = input(f, 'image').value.trim();
    if (input(f, 'allowSharedSuffixes').checked) spec.allowSharedSuffixes = true;
  } catch (e) {
    if (e instanceof FormError) return showError(f, e.field, e.message);
    throw e;
  }
  const start = input(f, 'start').checked;
  busy(f, true, 'Creating…');
  let created;
  try {
    created = await call('POST', '/projects', spec);
  } catch (e) {
    showError(f, e instanceof ApiError ? e.field : '', e.message);
    return;
  } finally {
    busy(f, false);
  }
  dialog().close();
  notify(`${created.name} created.`, 'ok');
  soon();
  if (start) lifecycle(created.id, 'start', created.name);
  else document.querySelector(`[data-project-id="${CSS.escape(created.id)}"] a`)?.focus();
}
