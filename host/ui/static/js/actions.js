// Start, stop, restart and delete, with the project marked busy meanwhile
// so its card shows progress.
import { call, seg } from './api.js';
import { store, changed, soon } from './store.js';
import { notify } from './notices.js';
import { confirmAction } from './confirm.js';
import { pushMessage } from './format.js';

const busyFor = { start: 'starting', stop: 'stopping', restart: 'restarting' };
const doneWords = { start: 'started', stop: 'stopped', restart: 'restarted' };

export async function lifecycle(id, action, name = nameOf(id)) {
  store.busy.set(id, busyFor[action]);
  changed();
  soon();
  try {
    const res = await call('POST', `/projects/${seg(id)}/${action}`);
    let text = `${name} ${doneWords[action]}.`;
    if (action !== 'stop' && res && res.push && res.push.pending) text += ' Policy ' + pushMessage(res.push, 'running');
    notify(text, 'ok');
  } catch (e) {
    notify(`${name}: ${action} failed: ${e.message}`, 'error');
  } finally {
    store.busy.delete(id);
    changed();
    soon();
  }
}

// remove asks first, then deletes; it reports whether the project is gone.
export async function remove(id) {
  const name = nameOf(id);
  const ok = await confirmAction({
    title: `Delete ${name}?`,
    text: 'Its containers and event history are removed. The workspace folder and its files stay as they are.',
    ok: 'Delete project',
  });
  if (!ok) return false;
  store.busy.set(id, 'deleting');
  changed();
  try {
    await call('DELETE', `/projects/${seg(id)}`);
    store.projects.delete(id);
    store.order = store.order.filter((x) => x !== id);
    notify(`${name} deleted.`, 'ok');
    return true;
  } catch (e) {
    notify(`${name}: delete failed: ${e.message}`, 'error');
    return false;
  } finally {
    store.busy.delete(id);
    changed();
    soon();
  }
}

// forward adds a listening port to the project's forwarded ports.
export async function forward(id, port) {
  try {
    await call('PATCH', `/projects/${seg(id)}`, { addPorts: [port] });
    notify(`${nameOf(id)}: port ${port} is forwarded.`, 'ok');
  } catch (e) {
    notify(`${nameOf(id)}: forwarding port ${port} failed: ${e.message}`, 'error');
  }
  soon();
}

function nameOf(id) {
  const e = store.projects.get(id);
  return e ? e.project.name : id;
}
