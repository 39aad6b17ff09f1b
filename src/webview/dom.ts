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

/**
 * Re-renders a list whose rows carry `rowAttr` without losing the keyboard focus: a rebuilt list drops the
 * focused button, and focus falls to <body>. Focus goes back to the same control of the same row; when
 * that row is gone (it was removed), to the row now at its place, else to `fallback`.
 */
export function keepingFocus(container: HTMLElement, rowAttr: string, fallback: HTMLElement | undefined, render: () => void): void {
  const active =
    document.activeElement instanceof HTMLElement && container.contains(document.activeElement) ? document.activeElement : undefined;
  const row = active?.closest<HTMLElement>(`[${rowAttr}]`) ?? undefined;
  const rows = () => [...container.querySelectorAll<HTMLElement>(`[${rowAttr}]`)];
  const key = row?.getAttribute(rowAttr);
  const index = row ? rows().indexOf(row) : -1;
  const control = active?.getAttribute('aria-label') ?? undefined;
  render();
  if (!active || active.isConnected) return;
  const same = rows().find((r) => r.getAttribute(rowAttr) === key);
  const target = same ?? rows()[Math.min(index, rows().length - 1)];
  const focusable = 'button, input, [tabindex]:not([tabindex="-1"])';
  const next =
    (same && control ? same.querySelector<HTMLElement>(`[aria-label="${CSS.escape(control)}"]`) : null) ??
    target?.querySelector<HTMLElement>(focusable) ??
    fallback;
  next?.focus();
}
