// Calls to the daemon's API. The page holds no credential: the browser
// sends the session cookie the daemon set at login (HttpOnly, so no script
// can read it; SameSite=Strict, so no other site's page makes it travel).

const prefix = '/api/v1';

// loginHint is what the page says once the session is gone.
export const loginHint = 'Your session has ended. Run `warden ui` in a terminal and open the login address it prints.';

// ApiError is a refusal from the API: its message, and for a refused
// setting the field it concerns.
export class ApiError extends Error {
  constructor(status, body) {
    super(body && typeof body.error === 'string' ? body.error : `the daemon answered HTTP ${status}`);
    this.status = status;
    this.field = body && typeof body.field === 'string' ? body.field : '';
    this.value = body && typeof body.value === 'string' ? body.value : '';
  }
}

function headers(accept) {
  return { Accept: accept };
}

// sessionEnded sends the page to the login page's instructions when the
// daemon no longer knows the session (logged out, expired, restarted).
function sessionEnded(status) {
  if (status === 401) location.replace('/login');
}

// call sends one request and returns the decoded answer (null for 204).
export async function call(method, path, body, { signal } = {}) {
  const init = {
    method, headers: headers('application/json'), signal, cache: 'no-store', redirect: 'error', credentials: 'same-origin',
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(prefix + path, init);
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    sessionEnded(res.status);
    throw new ApiError(res.status, data);
  }
  return data;
}

// follow reads an NDJSON stream (…/events?follow=1) and hands each object
// to onItem until the stream ends or signal aborts. onOpen runs once the
// daemon has answered.
export async function follow(path, onItem, { signal, onOpen } = {}) {
  const res = await fetch(prefix + path, {
    headers: headers('application/x-ndjson'), signal, cache: 'no-store', redirect: 'error', credentials: 'same-origin',
  });
  if (!res.ok) {
    sessionEnded(res.status);
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    throw new ApiError(res.status, data);
  }
  if (onOpen) onOpen();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) onItem(JSON.parse(line));
    }
  }
}

// seg makes a value safe as one path segment.
export const seg = (s) => encodeURIComponent(s);

// logout ends the session and shows the login page's instructions.
export async function logout() {
  try {
    await fetch('/logout', { method: 'POST', cache: 'no-store', redirect: 'error', credentials: 'same-origin' });
  } finally {
    location.replace('/login');
  }
}
