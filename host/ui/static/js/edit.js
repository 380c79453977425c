// The edit dialog: mode, allowlist and ports, applied live to a running
// project. What the sidecar made of it is reported in a notice.
import { call, seg, ApiError } from './api.js';
import { store, soon, loadPresets } from './store.js';
import { notify } from './notices.js';
import { confirmAction } from './confirm.js';
import { pushMessage } from './format.js';
import { input, lines, ports, FormError, modeChoice, setMode, getMode, showError, clearErrors, busy, closeButtons, limitInputs, limitsOf, hostInputs, hostOf } from './forms.js';

let editing = '';

const dialog = () => document.getElementById('edit-dialog');
const form = () => document.getElementById('edit-form');

export function setupEdit() {
  const f = form();
  modeChoice(f.querySelector('[data-modes="edit"]'), 'edit');
  closeButtons(dialog());
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
}

export async function openEdit(id) {
  let presets = null;
  try {
    presets = await loadPresets();
  } catch {
    // the defaults are only shown as placeholders
  }
  const entry = store.projects.get(id);
  if (!entry) return;
  const p = entry.project;
  editing = id;
  const f = form();
  f.reset();
  clearErrors(f);
  document.getElementById('edit-title').textContent = `Edit ${p.name}`;
  setMode(f, p.mode);
  input(f, 'domains').value = (p.domains || []).join('\n');
  input(f, 'ports').value = (p.ports || []).join(', ');
  limitInputs(f, p.limits, presets && presets.limits);
  input(f, 'gitConfigWritable').checked = !!p.gitConfigWritable;
  input(f, 'previewCspOff').checked = !!p.previewCspOff;
  hostInputs(f, p.hostAccess, p.hostPorts);
  dialog().showModal();
  input(f, 'domains').focus();
}

async function submit() {
  const f = form();
  clearErrors(f);
  let patch;
  try {
    patch = {
      mode: getMode(f), domains: lines(input(f, 'domains').value), ports: ports(input(f, 'ports').value),
      limits: limitsOf(f), gitConfigWritable: input(f, 'gitConfigWritable').checked,
      previewCspOff: input(f, 'previewCspOff').checked,
      ...hostOf(f),
    };
    if (input(f, 'cutConnections').checked) patch.cutConnections = true;
    if (input(f, 'allowSharedSuffixes').checked) patch.allowSharedSuffixes = true;
  } catch (e) {
    if (e instanceof FormError) return showError(f, e.field, e.message);
    throw e;
  }
  busy(f, true, 'Saving…');
  let res;
  try {
    // First what the edit would break: the recent contacts with allowed
    // names that it would refuse. Nothing changes until the user agrees.
    const dry = await call('PATCH', `/projects/${seg(editing)}?dryRun=1`, patch);
    const broken = (dry && dry.wouldRefuse) || [];
    if (broken.length) {
      const names = broken.map((r) => r.name).join(', ');
      const ok = await confirmAction({
        title: 'This edit refuses names the agent reached',
        text: `The agent recently reached ${names}. After this edit the sidecar refuses ${broken.length === 1 ? 'it' : 'them'}.`,
        ok: 'Save anyway',
      });
      if (!ok) return;
    }
    res = await call('PATCH', `/projects/${seg(editing)}`, patch);
  } catch (e) {
    showError(f, e instanceof ApiError ? e.field : '', e.message);
    return;
  } finally {
    busy(f, false);
  }
  dialog().close();
  const p = res.project;
  notify(`${p.name}: ${pushMessage(res.push, p.desired)}`, res.push && res.push.pending ? 'error' : 'ok');
  soon();
}
