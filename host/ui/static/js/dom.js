// Building elements from data. Every string is set as text or as the value
// of a fixed attribute; nothing here parses markup.

// h creates an element. props: class, text, on<event> handlers, and
// attributes (true sets an empty attribute; false, null and undefined set
// none). Children are nodes or strings (as text).
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// visuallyHidden is text for screen readers only.
export const visuallyHidden = (s) => h('span', { class: 'visually-hidden', text: s });

// reconcile makes container's children the built elements of items, in
// order. Each item has a key, a sig (a string that changes whenever its
// look does) and build(). Elements whose sig is unchanged stay in place, so
// the page does not flicker and focus is kept; a rebuilt element gets the
// focus back on the control with the same data-focus.
export function reconcile(container, items) {
  const old = new Map();
  for (const el of container.children) old.set(el.dataset.key, el);
  let i = 0;
  for (const it of items) {
    let el = old.get(it.key);
    if (!el || el.dataset.sig !== it.sig) {
      const fresh = it.build();
      fresh.dataset.key = it.key;
      fresh.dataset.sig = it.sig;
      if (el) swap(el, fresh);
      el = fresh;
    }
    old.delete(it.key);
    const at = container.children[i];
    if (at !== el) container.insertBefore(el, at || null);
    i++;
  }
  for (const el of old.values()) el.remove();
}

function swap(old, fresh) {
  const active = document.activeElement;
  const focusKey = active && old.contains(active) ? active.dataset.focus : undefined;
  old.replaceWith(fresh);
  if (focusKey) {
    const target = fresh.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`);
    if (target && !target.disabled) target.focus();
  }
}
