/** Small DOM builders shared by the page's parts. Text always goes in as textContent, never as HTML. */

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function codicon(name: string): HTMLElement {
  const icon = el('span', `codicon codicon-${name}`);
  icon.setAttribute('aria-hidden', 'true');
  return icon;
}

/** A square toolbar button: the label is both its accessible name and its tooltip. */
export function iconButton(label: string, icon: string, className = 'icon-button'): HTMLButtonElement {
  const button = el('button', className);
  button.type = 'button';
  button.setAttribute('aria-label', label);
  button.title = label;
  button.append(codicon(icon));
  return button;
}

export function textButton(label: string, className = 'secondary'): HTMLButtonElement {
  const button = el('button', className, label);
  button.type = 'button';
  button.setAttribute('aria-label', label);
  return button;
}
