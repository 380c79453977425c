// Loads the page's modules and style sheet again when a download failed.
//
// A browser drops the downloads still waiting for a connection whenever
// the machine's addresses change (Chromium: ERR_NETWORK_CHANGED), and
// Docker adds or removes one each time a container starts or stops. The
// page loads more modules than a browser opens connections to one host
// (six), so some always wait. One failed module fails the whole graph:
// none of them runs, and the browser keeps the failure for the life of the
// page, so importing the same address again fails again. The daemon
// serves every file under /static/retry/<n>/ as well; loading the entry
// module again from there fetches the whole graph anew.
//
// This is a classic script, first in the head and not deferred: its
// listener is in place before the style sheet or a module can fail, and
// it depends on none of them.
'use strict';
{
  const maxTries = 5;
  const firstWait = 250; // ms, doubled at each try
  const tries = new Map(); // file -> tries so far

  // file is a /static/ path without its retry prefix, such as js/app.js.
  const file = (url) => new URL(url, location.href).pathname.replace(/^\/static\/(retry\/[0-9]+\/)?/, '');

  function gaveUp() {
    const el = document.getElementById('list-loading');
    if (!el) return;
    el.textContent = 'The page could not load its scripts from the daemon. Reload the page to try again.';
    el.classList.add('bad');
  }

  document.addEventListener('error', (ev) => {
    const el = ev.target;
    const script = el instanceof HTMLScriptElement && el.type === 'module' && el.src;
    const style = el instanceof HTMLLinkElement && el.rel === 'stylesheet' && el.href;
    if (!script && !style) return;
    const name = file(script ? el.src : el.href);
    const n = (tries.get(name) || 0) + 1;
    tries.set(name, n);
    if (n > maxTries) {
      if (script) gaveUp();
      return;
    }
    setTimeout(() => {
      const again = document.createElement(script ? 'script' : 'link');
      if (script) {
        again.type = 'module';
        again.src = `/static/retry/${n}/${name}`;
      } else {
        again.rel = 'stylesheet';
        again.href = `/static/retry/${n}/${name}`;
      }
      el.replaceWith(again);
    }, firstWait * 2 ** (n - 1));
  }, true);
}
