// Short messages at the top of the page, read out by screen readers (the
// container is a polite live region).
import { h } from './dom.js';

const maxNotices = 4;

export function notify(text, kind = 'info', seconds = kind === 'error' ? 30 : 12) {
  const box = document.getElementById('notices');
  const item = h('div', { class: `notice notice-${kind}` },
    h('p', { text }),
    h('button', { type: 'button', class: 'link', 'aria-label': 'Dismiss', onclick: () => item.remove(), text: '×' }));
  box.prepend(item);
  while (box.children.length > maxNotices) box.lastElementChild.remove();
  setTimeout(() => item.remove(), seconds * 1000);
}
