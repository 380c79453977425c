// The login page: the code arrives in the address's fragment (never sent
// to a server, never in a Referer); it is dropped from the address bar and
// the history at once and traded for a session cookie.
// A new address opened on this page changes only the fragment, so the
// page listens for that too.
const state = document.getElementById('login-state');

async function login() {
  const code = location.hash.slice(1);
  history.replaceState(null, '', '/login');
  if (!code) {
    state.textContent = 'You are not logged in.';
    return;
  }
  let res;
  try {
    res = await fetch('/login', {
      method: 'POST', cache: 'no-store', redirect: 'error', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ code }),
    });
  } catch {
    state.textContent = 'The daemon does not answer.';
    return;
  }
  if (res.ok) {
    location.replace('/');
    return;
  }
  let message = `The daemon answered HTTP ${res.status}.`;
  try {
    const body = await res.json();
    if (body && typeof body.error === 'string') message = body.error;
  } catch {
    // keep the status line
  }
  state.textContent = message;
}

window.addEventListener('hashchange', login);
login();
