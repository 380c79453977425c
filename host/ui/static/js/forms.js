// Helpers the create and edit dialogs share: reading lists from text,
// the mode choice, and errors shown beside the field they concern.
import { h } from './dom.js';
import { modeText } from './format.js';

// input is the form's control called name (form.name would be the form's
// own name attribute).
export const input = (form, name) => form.elements.namedItem(name);

// lines splits an allowlist: one entry per line (commas and spaces also
// separate); blank lines and # comments are skipped.
export function lines(text) {
  return text.split('\n')
    .map((l) => l.replace(/#.*/, ''))
    .flatMap((l) => l.split(/[\s,]+/))
    .map((l) => l.trim())
    .filter(Boolean);
}

// ports parses "5173, 3000"; a word that is not a whole number throws a
// FormError for the field ports.
export function ports(text) {
  const out = [];
  for (const word of text.split(/[\s,]+/).filter(Boolean)) {
    if (!/^\d{1,5}$/.test(word)) {
      throw new FormError('ports', `ports ${JSON.stringify(word)}: is not a port number; expect numbers from 1 to 65535, separated by commas or spaces`);
    }
    out.push(Number(word));
  }
  return out;
}

export class FormError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

// modeChoice fills a .modes box with one radio per mode.
export function modeChoice(box, prefix) {
  box.replaceChildren(...Object.entries(modeText).map(([mode, t]) => {
    const id = `${prefix}-mode-${mode}`;
    return h('div', { class: 'mode-option' },
      h('input', { type: 'radio', id, name: 'mode', value: mode, 'aria-describedby': `${id}-desc` }),
      h('label', { for: id }, h('span', { class: `badge mode-${mode}`, text: mode })),
      h('p', { id: `${id}-desc`, class: 'hint', text: t.desc }));
  }));
}

export function setMode(form, mode) {
  for (const r of form.querySelectorAll('input[name="mode"]')) r.checked = r.value === mode;
}

export function getMode(form) {
  const r = form.querySelector('input[name="mode"]:checked');
  return r ? r.value : '';
}

// fieldOf maps the API's field names to the form's.
const fieldOf = {
  domains: 'domains', addDomains: 'domains', removeDomains: 'domains',
  ports: 'ports', addPorts: 'ports', removePorts: 'ports',
};

// showError puts message beside the field (or at the top of the form when
// no field matches), marks the input invalid and moves focus to it.
export function showError(form, field, message) {
  const name = fieldOf[field] || field || '';
  let box = name ? form.querySelector(`[data-error-for="${CSS.escape(name)}"]`) : null;
  if (!box) box = form.querySelector('[data-error-for=""]');
  box.textContent = message;
  box.hidden = false;
  const input = name ? form.querySelector(`[name="${CSS.escape(name)}"]`) : null;
  if (input && box.dataset.errorFor === name) {
    input.setAttribute('aria-invalid', 'true');
    const details = input.closest('details');
    if (details) details.open = true;
    input.focus();
  }
}

export function clearErrors(form) {
  for (const box of form.querySelectorAll('[data-error-for]')) {
    box.textContent = '';
    box.hidden = true;
  }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

// busy disables the submit button while a request is out.
export function busy(form, on, label) {
  const submit = form.querySelector('button[type="submit"]');
  if (!submit.dataset.label) submit.dataset.label = submit.textContent;
  submit.disabled = on;
  submit.textContent = on ? label : submit.dataset.label;
}

// closeButtons wires the dialog's [data-close] buttons.
export function closeButtons(dialog) {
  for (const b of dialog.querySelectorAll('[data-close]')) b.addEventListener('click', () => dialog.close());
}

// limitInputs fills the limit inputs of form from a project's limits,
// showing the defaults as placeholders.
export function limitInputs(form, limits, defaults) {
  for (const el of form.querySelectorAll('[data-limit]')) {
    const key = el.dataset.limit;
    el.value = limits && limits[key] ? String(limits[key]) : '';
    el.placeholder = defaults && defaults[key] ? `default ${defaults[key]}` : '';
  }
}

// limitsOf reads the limit inputs; an empty one is 0, the default. A value
// that is not a number throws a FormError for its field.
export function limitsOf(form) {
  const out = {};
  for (const el of form.querySelectorAll('[data-limit]')) {
    const key = el.dataset.limit;
    const text = el.value.trim();
    if (!text) { out[key] = 0; continue; }
    const n = Number(text);
    if (!Number.isFinite(n) || n < 0 || (key !== 'cpus' && !Number.isInteger(n))) {
      throw new FormError(el.name, `${el.name} ${JSON.stringify(text)}: is not a ${key === 'cpus' ? 'number' : 'whole number'} of 0 or more; leave it empty for the default`);
    }
    out[key] = n;
  }
  return out;
}

// hostInputs shows a project's host access; the ports input is there only
// for "ports".
export function hostInputs(form, access, ports) {
  const sel = form.elements.namedItem('hostAccess');
  const list = form.elements.namedItem('hostPorts');
  sel.value = access || 'all';
  list.value = (ports || []).join(', ');
  const sync = () => { list.hidden = sel.value !== 'ports'; };
  sel.onchange = sync;
  sync();
}

// hostOf reads the host access and, for "ports", the ports; a bad port
// throws a FormError for hostPorts.
export function hostOf(form) {
  const access = form.elements.namedItem('hostAccess').value;
  if (access !== 'ports') return { hostAccess: access };
  try {
    return { hostAccess: access, hostPorts: ports(form.elements.namedItem('hostPorts').value) };
  } catch (e) {
    if (e instanceof FormError) throw new FormError('hostPorts', 'host ' + e.message);
    throw e;
  }
}
