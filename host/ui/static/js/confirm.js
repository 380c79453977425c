// A yes/no question in a modal dialog; Escape and Cancel say no.
let answer = null; // resolves the question on screen
let wired = false;

function settle(value) {
  const d = document.getElementById('confirm-dialog');
  const resolve = answer;
  answer = null;
  if (d.open) d.close();
  if (resolve) resolve(value);
}

function wire() {
  if (wired) return;
  wired = true;
  const d = document.getElementById('confirm-dialog');
  document.getElementById('confirm-ok').addEventListener('click', () => settle(true));
  document.getElementById('confirm-cancel').addEventListener('click', () => settle(false));
  // Escape closes the dialog. A close event arrives after the fact, so one
  // left over from the last question is told apart by the dialog being
  // open again.
  d.addEventListener('close', () => {
    if (!d.open) settle(false);
  });
}

export function confirmAction({ title, text, ok }) {
  wire();
  if (answer) settle(false);
  const d = document.getElementById('confirm-dialog');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = ok;
  return new Promise((resolve) => {
    answer = resolve;
    d.showModal();
    document.getElementById('confirm-cancel').focus();
  });
}
