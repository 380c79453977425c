// What a project looks like on the page, derived from the store: its state
// (with the reason of an error and the progress of a start) and its ports.
import { store } from './store.js';

const busyLabels = {
  starting: 'Starting',
  restarting: 'Restarting',
  stopping: 'Stopping',
  deleting: 'Deleting',
};

// startSteps are the stages of a start, as the status shows them.
const startSteps = [
  'checking the image and the workspace',
  'starting the sidecar',
  'the sidecar enforces the policy; starting the agent',
  'running',
];

function startStep(status) {
  if (!status) return 0;
  const sidecar = status.containers && status.containers.sidecar;
  const agent = status.containers && status.containers.agent;
  if (status.running) return 3;
  if (status.sidecar && status.sidecar.ready) return agent && agent.status === 'running' ? 3 : 2;
  if (sidecar && sidecar.status && sidecar.status !== 'missing') return 1;
  return 0;
}

// stateOf returns { kind, label, reason, progress } for a store entry.
// kind is running, stopped, starting, stopping or error.
export function stateOf(entry) {
  const { project: p, status } = entry;
  const busy = store.busy.get(p.id);
  if (busy) {
    const s = { kind: busy === 'stopping' || busy === 'deleting' ? 'stopping' : 'starting', label: busyLabels[busy] + '…', reason: '', busy: true };
    if (busy === 'starting' || busy === 'restarting') s.progress = progress(status);
    return s;
  }
  if (!status) return { kind: 'error', label: 'Unknown', reason: entry.statusError || 'no status yet' };
  const reason = status.runtimeError || (status.containers && status.containers.error) || '';
  if (status.running) {
    if (status.sidecarError) return { kind: 'error', label: 'Error', reason: 'the sidecar does not answer: ' + status.sidecarError };
    return { kind: 'running', label: 'Running', reason: '' };
  }
  if (reason) return { kind: 'error', label: 'Error', reason };
  if (p.desired === 'running') return { kind: 'starting', label: 'Starting…', reason: '', progress: progress(status) };
  return { kind: 'stopped', label: 'Stopped', reason: '' };
}

function progress(status) {
  const step = startStep(status);
  return { value: step + 1, max: startSteps.length, text: `Step ${step + 1} of ${startSteps.length}: ${startSteps[step]}` };
}

// portsOf returns the declared ports (the project's and .warden.json's)
// and those the agent listens on without their being declared; listening
// is null when the daemon does not report it.
export function portsOf(entry) {
  const declared = entry.ports ? entry.ports.declared
    : (entry.status && Array.isArray(entry.status.ports) ? entry.status.ports : entry.project.ports || []);
  const listening = entry.ports ? entry.ports.listening : null;
  const undeclared = listening ? listening.filter((n) => !declared.includes(n)) : [];
  return { declared, undeclared, listening, urls: (entry.ports && entry.ports.urls) || {} };
}

// previewURL is where a project's port opens through the daemon's proxy:
// the URL the daemon gave, or one made the same way; '' when the id or agent
// type could not be part of a host name.
export function previewURL(p, port, urls = {}) {
  if (urls[port]) return urls[port];
  if (!/^[0-9a-f]{12}$/.test(p.id) || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(p.agentType || '')) return '';
  const listen = location.port || '80';
  return `http://${p.id}-${p.agentType}-${port}.localhost:${listen}/`;
}

export function agentName(type) {
  const agents = store.presets && store.presets.agents;
  const a = Array.isArray(agents) ? agents.find((x) => x.name === type) : null;
  return a && a.displayName ? a.displayName : type;
}

// allowEntries is what the sidecar allows: the allowlist and the grants.
export function allowEntries(p) {
  return [...(p.domains || []), ...(p.grants || []).map((g) => g.domain)];
}
