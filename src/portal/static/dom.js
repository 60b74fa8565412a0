// A few DOM helpers. Text always goes in as text (never as HTML): callback responses and app
// names come from outside.

/**
 * h('td', { class: 'mono' }, 'text', child) makes an element.
 * @param {string} tag
 * @param {Record<string, unknown> | null} [attributes]
 * @param {...(Node | string | number | null | undefined | false)} children
 */
export function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's children. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** Shows a message in a form's error slot, or hides the slot when message is null. */
export function showError(slot, message) {
  if (slot === null) return;
  slot.textContent = message ?? '';
  slot.hidden = message === null;
}

/** A value to copy: shown in monospace with a Copy button beside it. */
export function copyable(value, label) {
  const button = h(
    'button',
    { type: 'button', class: 'button-quiet copy', 'aria-label': `Copy ${label}` },
    'Copy',
  );
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(value);
      button.textContent = 'Copied';
    } catch {
      // Clipboard access needs a secure context (https or localhost); select the text instead.
      const range = document.createRange();
      range.selectNodeContents(code);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
      button.textContent = 'Selected';
    }
    setTimeout(() => {
      button.textContent = 'Copy';
    }, 1500);
  });
  const code = h('code', { class: 'value', 'data-field': label }, value);
  return h('span', { class: 'copyable' }, code, button);
}

/** Runs an async action with the button disabled, so a double click does not send twice. */
export async function busy(button, action) {
  button.disabled = true;
  try {
    return await action();
  } finally {
    button.disabled = false;
  }
}

export function formatTime(ms) {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'medium',
  });
}
