// Words and numbers as the page shows them.

export function ms(n) {
  if (typeof n !== 'number' || !isFinite(n)) return '? ms';
  if (n < 10) return n.toFixed(1) + ' ms';
  return Math.round(n) + ' ms';
}

// timeLeft shows the time until an ISO date: "59:58", "1 h 05 min", or
// "expiring…" once it has passed.
export function timeLeft(iso, now = Date.now()) {
  const left = Math.ceil((Date.parse(iso) - now) / 1000);
  if (!(left > 0)) return 'expiring…';
  const h = Math.floor(left / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = left % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m}:${String(s).padStart(2, '0')}`;
}

export function clock(iso) {
  const d = new Date(iso);
  if (isNaN(d)) return '';
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

// pushMessage says what became of a policy change (daemon.PushResult).
export function pushMessage(push, desired) {
  if (push && push.applied && push.cut) {
    return `Applied by the sidecar in ${ms(push.durationMs)}; ${push.cut} open connection${push.cut === 1 ? '' : 's'} cut.`;
  }
  if (push && push.applied) return `Applied by the sidecar in ${ms(push.durationMs)}.`;
  if (push && push.pending) {
    return `Pending: ${push.error || 'the sidecar has not confirmed it yet'}. The daemon keeps trying.`;
  }
  if (desired !== 'running') return 'Saved. The project is stopped; its sidecar reads the policy when it starts.';
  return 'Saved. The network policy did not change.';
}

export const modeText = {
  full: { label: 'Full', desc: 'Anything: no rules.' },
  restricted: { label: 'Restricted', desc: 'Only the allowed domains, plus the host.' },
  none: { label: 'None', desc: 'Nothing outside the container but the host.' },
};

// coveringEntry returns the entry of entries that equals name or a name
// above it, or ''.
function coveringEntry(name, entries) {
  const n = String(name).toLowerCase().replace(/\.$/, '');
  return entries.find((d) => n === d || n.endsWith('.' + d)) || '';
}

// deniedBy returns the deny entry ("!gist.github.com") that refuses name,
// or ''. A deny entry wins over every allow entry.
export function deniedBy(name, entries) {
  const denied = coveringEntry(name, entries.filter((d) => d.startsWith('!')).map((d) => d.slice(1)));
  return denied ? '!' + denied : '';
}

// allowedBy reports whether name is covered by an allow entry (the entry
// itself or any name under it) and by no deny entry.
export function allowedBy(name, entries) {
  return !deniedBy(name, entries) && coveringEntry(name, entries.filter((d) => !d.startsWith('!'))) !== '';
}
