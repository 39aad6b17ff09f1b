import type { ToolsMenu as ToolsMenuMessage, WebviewToHost } from '../../shared/protocol';
import { codicon, el } from '../dom';

type Scope = Extract<WebviewToHost, { type: 'setTool' }>['scope'];

const SCOPES: Array<[Scope, string]> = [
  ['conversation', 'This conversation'],
  ['workspace', 'This workspace'],
  ['user', 'Everywhere'],
];

const tokens = (n: number) => `~${n.toLocaleString('en-US')} tokens`;

/**
 * The tools menu in the header: which servers (the built-in `workspace` tools, MCP servers) and single tools
 * this conversation offers the model, for this conversation, the workspace or everywhere, and what their
 * definitions cost in every request. The host decides and sends the menu back after each change; the page
 * only shows it and asks.
 */
export class ToolsMenu {
  readonly button: HTMLButtonElement;
  readonly element: HTMLElement;
  private readonly count: HTMLElement;
  private readonly list: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly scope: HTMLSelectElement;
  private menu: ToolsMenuMessage | undefined;

  constructor(private readonly actions: { open(): void; set(server: string, tool: string | undefined, on: boolean, scope: Scope): void }) {
    this.button = el('button', 'icon-button tools-button');
    this.button.type = 'button';
    this.button.setAttribute('aria-haspopup', 'dialog');
    this.button.setAttribute('aria-expanded', 'false');
    this.count = el('span', 'tools-count');
    this.button.append(codicon('tools'), this.count);
    this.button.addEventListener('click', () => this.toggle());
    this.element = el('section', 'tools-menu');
    this.element.setAttribute('role', 'dialog');
    this.element.setAttribute('aria-label', 'Tools');
    this.element.hidden = true;
    this.summary = el('p', 'tools-summary');
    this.summary.setAttribute('aria-live', 'polite');
    this.scope = el('select');
    this.scope.setAttribute('aria-label', 'Apply changes to');
    for (const [value, label] of SCOPES) {
      const option = el('option', undefined, label);
      option.value = value;
      this.scope.append(option);
    }
    this.scope.addEventListener('change', () => this.render());
    const scopeRow = el('label', 'tools-scope', 'Apply to ');
    scopeRow.append(this.scope);
    this.list = el('div', 'tools-list');
    this.element.append(this.summary, scopeRow, this.list);
    this.element.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      this.close();
      this.button.focus();
    });
    document.addEventListener('mousedown', (e) => {
      if (this.isOpen && !this.element.contains(e.target as Node) && !this.button.contains(e.target as Node)) this.close();
    });
    this.label();
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  toggle(): void {
    if (this.isOpen) return this.close();
    this.element.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    if (!this.menu) this.summary.textContent = 'Starting the tool servers…';
    this.actions.open();
  }

  close(): void {
    this.element.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
  }

  show(menu: ToolsMenuMessage): void {
    this.menu = menu;
    this.label();
    this.render();
  }

  /** The button says what the tools cost, so the user sees it without opening the menu. */
  private label(): void {
    const m = this.menu;
    const text = m ? `Tools: ${this.enabledCount()} on, ${tokens(m.enabledTokens)} a request` : 'Tools';
    this.button.setAttribute('aria-label', text);
    this.button.title = text;
    this.count.textContent = m ? `${m.enabledTokens.toLocaleString('en-US')}` : '';
  }

  private enabledCount(): number {
    return (this.menu?.servers ?? []).reduce((n, s) => n + (s.on ? s.tools.filter((t) => t.on).length : 0), 0);
  }

  private render(): void {
    const m = this.menu;
    if (!m) return;
    const all = m.servers.reduce((n, s) => n + s.tools.length, 0);
    this.summary.textContent = all
      ? `${this.enabledCount()} of ${all} tools on: ${tokens(m.enabledTokens)} of ${tokens(m.allTokens)} in every request.`
      : 'No tools. Add MCP servers in the modelChat.mcp.servers setting or .vscode/mcp.json.';
    const scope = this.scope.value as Scope;
    const focused = document.activeElement instanceof HTMLInputElement ? document.activeElement.dataset.key : undefined;
    this.list.replaceChildren(
      ...m.servers.map((server) => {
        const group = el('fieldset', 'tools-server');
        const legend = el('legend');
        legend.append(...this.checkbox(server.name, undefined, server.on, server.userOff, scope, server.name));
        const cost = server.tools.reduce((n, t) => n + t.tokens, 0);
        legend.append(el('span', 'tools-cost', `${server.tools.length} tools · ${tokens(cost)}`));
        group.append(legend);
        for (const tool of server.tools) {
          const row = el('div', 'tools-tool');
          if (!server.on) row.classList.add('tools-muted');
          row.append(
            ...this.checkbox(server.name, tool.name, tool.on, tool.userOff, scope, tool.name),
            el('span', 'tools-cost', tokens(tool.tokens)),
          );
          group.append(row);
        }
        return group;
      }),
    );
    if (focused) this.list.querySelector<HTMLInputElement>(`input[data-key="${CSS.escape(focused)}"]`)?.focus();
  }

  /** A labelled checkbox, and the note that it is off everywhere (outside the label: the name stays the tool's). */
  private checkbox(server: string, tool: string | undefined, on: boolean, userOff: boolean, scope: Scope, text: string): HTMLElement[] {
    const label = el('label', 'tools-check');
    const input = el('input');
    input.type = 'checkbox';
    input.checked = on;
    input.dataset.key = `${server}/${tool ?? ''}`;
    // Off everywhere is the user's own choice: only "Everywhere" turns it back on.
    if (userOff && scope !== 'user') {
      input.disabled = true;
      label.title = 'Turned off everywhere. Choose "Everywhere" to turn it on.';
    }
    input.addEventListener('change', () => this.actions.set(server, tool, input.checked, this.scope.value as Scope));
    label.append(input, el('span', tool ? 'tools-name' : 'tools-name server', text));
    return userOff ? [label, el('span', 'tools-note', 'off everywhere')] : [label];
  }
}
