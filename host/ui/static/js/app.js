// The page's entry point: wires the dialogs, polls the daemon and shows the
// project list (#/) or one project (#/projects/<id>).
import { store, subscribe, startPolling, loadPresets } from './store.js';
import { renderCards } from './cards.js';
import { showDetail, hideDetail, renderDetail } from './detail.js';
import { setupCreate, openCreate } from './create.js';
import { setupEdit } from './edit.js';
import { timeLeft } from './format.js';
import { logout } from './api.js';

function route() {
  const m = /^#\/projects\/([0-9a-f]{12})$/.exec(location.hash);
  if (m) showDetail(m[1]);
  else hideDetail();
}

function renderDaemon() {
  const el = document.getElementById('daemon-state');
  el.textContent = store.daemonError ? `The daemon does not answer (${store.daemonError}); retrying.` : '';
  el.classList.toggle('bad', Boolean(store.daemonError));
}

// tick counts down every grant's time left between refreshes.
function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll('[data-expires]')) {
    const text = timeLeft(el.dataset.expires, now);
    if (el.textContent !== text) el.textContent = text;
  }
}

setupCreate();
setupEdit();
document.getElementById('new-project').addEventListener('click', openCreate);
document.getElementById('logout').addEventListener('click', logout);
subscribe(renderDaemon);
subscribe(renderCards);
subscribe(renderDetail);
window.addEventListener('hashchange', route);
loadPresets().catch(() => {}).finally(() => {
  route();
  startPolling();
});
setInterval(tick, 1000);
