// What the page knows of the daemon, refreshed by polling: the project
// list, each project's status and, when the daemon reports them, its
// listening ports. Views subscribe and redraw from here.
import { call, seg, ApiError } from './api.js';

const pollEvery = 2000;
const pollBusy = 500; // while a start or stop is in flight, for its progress
const pollHidden = 15000;
const portsRecheck = 60000;

export const store = {
  loaded: false,
  daemonError: '',
  presets: null,
  // id → { project, status, statusError, ports: {declared, listening, urls} | null }
  projects: new Map(),
  order: [],
  // id → 'starting' | 'stopping' | 'restarting' | 'deleting'
  busy: new Map(),
  // Whether the daemon has GET …/ports (listening ports); null until known.
  portsAPI: null,
  portsCheckedAt: 0,
};

const listeners = new Set();

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function changed() {
  for (const fn of listeners) fn();
}

export async function loadPresets() {
  if (!store.presets) store.presets = await call('GET', '/presets');
  return store.presets;
}

let inFlight = null;
let again = false;

// refresh reloads everything; calls made while one runs fold into one more.
function refresh() {
  if (inFlight) {
    again = true;
    return inFlight;
  }
  inFlight = load().finally(() => {
    inFlight = null;
    if (again) {
      again = false;
      refresh();
    }
  });
  return inFlight;
}

async function load() {
  let list;
  try {
    list = await call('GET', '/projects');
    store.daemonError = '';
  } catch (e) {
    store.daemonError = e instanceof ApiError ? e.message : 'the daemon does not answer';
    changed();
    return;
  }
  const next = new Map();
  await Promise.all(list.map(async (p) => {
    const prev = store.projects.get(p.id);
    const entry = { project: p, status: prev ? prev.status : null, statusError: '', ports: prev ? prev.ports : null };
    try {
      entry.status = await call('GET', `/projects/${seg(p.id)}/status`);
      entry.project = entry.status.project || p;
    } catch (e) {
      entry.statusError = e.message;
    }
    entry.ports = await listeningPorts(entry);
    next.set(p.id, entry);
  }));
  store.projects = next;
  store.order = list.map((p) => p.id);
  store.loaded = true;
  changed();
}

// listeningPorts asks the daemon which ports the agent listens on, where
// the daemon can say (GET …/ports); otherwise null, and only the declared
// ports are shown.
async function listeningPorts(entry) {
  if (!entry.status || !entry.status.running) return null;
  if (store.portsAPI === false && Date.now() - store.portsCheckedAt < portsRecheck) return null;
  try {
    const data = await call('GET', `/projects/${seg(entry.project.id)}/ports`);
    store.portsAPI = true;
    return { declared: portList(data && data.declared), listening: portList(data && data.listening), urls: previewURLs(data && data.previews) };
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && e.message.startsWith('no API route')) {
      store.portsAPI = false;
      store.portsCheckedAt = Date.now();
    }
    return entry.ports;
  }
}

// portList accepts [5173] or [{"port": 5173, …}].
function portList(v) {
  if (!Array.isArray(v)) return [];
  const out = v.map((x) => (typeof x === 'number' ? x : x && x.port))
    .filter((n) => Number.isInteger(n) && n > 0 && n < 65536);
  return [...new Set(out)].sort((a, b) => a - b);
}

// previewURLs maps each port to the preview URL the daemon gives for it,
// keeping only plain http URLs.
function previewURLs(chips) {
  const out = {};
  for (const c of Array.isArray(chips) ? chips : []) {
    if (c && Number.isInteger(c.port) && typeof c.url === 'string' && c.url.startsWith('http://')) out[c.port] = c.url;
  }
  return out;
}

let timer = 0;

function schedule(delay) {
  clearTimeout(timer);
  timer = setTimeout(tick, delay);
}

// tick refreshes and plans the next one: soon while a start or stop is in
// flight, every few seconds otherwise, and seldom while the page is hidden.
async function tick() {
  await refresh();
  schedule(store.busy.size ? pollBusy : document.hidden ? pollHidden : pollEvery);
}

export function startPolling() {
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) schedule(0);
  });
  tick();
}

// soon refreshes now (after an action) and keeps polling from there.
export function soon() {
  schedule(0);
}
