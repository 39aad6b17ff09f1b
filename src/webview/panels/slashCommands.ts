/**
 * The `/` menu of the message box: MCP servers' prompts, offered while the box holds only `/` and a word. The box
 * keeps the focus (a combobox over a listbox: Up/Down move, Enter or Tab choose, Escape closes); a prompt with
 * arguments asks for them in a small form (the elicitation form's renderer), then the host fills it in.
 */
import type { ElicitationField, PromptInfo } from '../../shared/protocol';
import { renderElicitation } from '../messages/elicitationForm';
import { el } from '../dom';
import type { Composer } from './composer';

export interface SlashHandlers {
  /** Asks the host for the prompts (it answers with `prompts`). */
  list(): void;
  use(server: string, name: string, args: Record<string, string>): void;
}

/** More than this many matches would push the message box off a short view; typing narrows them. */
const MAX_SHOWN = 8;

export class SlashCommands {
  /** Placed right above the composer, outside its <form>: the arguments' form cannot nest in it. */
  readonly element: HTMLElement;
  private readonly listbox: HTMLElement;
  private readonly status: HTMLElement;
  private prompts: PromptInfo[] | undefined;
  private matches: PromptInfo[] = [];
  private active = 0;
  private isOpen = false;
  private form: HTMLElement | undefined;

  constructor(
    private readonly composer: Composer,
    private readonly handlers: SlashHandlers,
  ) {
    this.element = el('div', 'slash-commands');
    this.element.hidden = true;
    this.listbox = el('ul', 'slash-list');
    this.listbox.id = 'slash-commands-list';
    this.listbox.setAttribute('role', 'listbox');
    this.listbox.setAttribute('aria-label', 'Prompts');
    this.status = el('div', 'slash-status');
    this.status.setAttribute('role', 'status');
    this.element.append(this.listbox, this.status);
    const input = composer.input;
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-controls', this.listbox.id);
    input.setAttribute('aria-expanded', 'false');
    input.addEventListener('input', () => this.update());
    // Capturing on the form runs before the composer's own keys on the box (Enter would send the `/` text).
    composer.element.addEventListener('keydown', (e) => this.onKey(e), { capture: true });
    input.addEventListener('blur', () => {
      // A click on an option comes after the blur: let it land first.
      setTimeout(() => document.activeElement !== input && this.close(), 150);
    });
  }

  /** The host's list (the answer to `listPrompts`, or a server's lists changed). */
  setPrompts(prompts: PromptInfo[]): void {
    this.prompts = prompts;
    if (this.isOpen) this.update();
  }

  /** The host filled in the chosen prompt: its text replaces the draft. */
  filled(text: string): void {
    this.composer.replace(text);
  }

  private update(): void {
    const match = /^\/([^\s/]*)$/.exec(this.composer.input.value);
    if (!match || this.form) return this.close();
    if (!this.isOpen) {
      this.isOpen = true;
      this.active = 0;
      // Asked at every opening: servers may have started, or been added, since the last time.
      this.handlers.list();
    }
    const query = match[1].toLowerCase();
    const all = this.prompts ?? [];
    this.matches = all
      .filter((p) => [p.name, p.title ?? '', p.server].some((s) => s.toLowerCase().includes(query)))
      .sort((a, b) => Number(!a.name.toLowerCase().startsWith(query)) - Number(!b.name.toLowerCase().startsWith(query)))
      .slice(0, MAX_SHOWN);
    this.active = Math.min(this.active, Math.max(0, this.matches.length - 1));
    this.render(query);
  }

  private render(query: string): void {
    this.element.hidden = false;
    this.listbox.replaceChildren(
      ...this.matches.map((p, i) => {
        const option = el('li', 'slash-option');
        option.id = `slash-option-${i}`;
        option.setAttribute('role', 'option');
        option.setAttribute('aria-selected', String(i === this.active));
        option.dataset.prompt = `${p.server}/${p.name}`;
        const args = p.arguments.map((a) => (a.required ? a.name : `${a.name}?`)).join(' ');
        option.append(el('span', 'slash-name', `/${p.name}`), el('span', 'slash-server', p.server));
        const about = [p.title && p.title !== p.name ? p.title : '', p.description ?? '', args ? `(${args})` : '']
          .filter(Boolean)
          .join(' · ');
        if (about) option.append(el('span', 'slash-about', about));
        // Pressing the mouse would take the focus from the box; the click chooses.
        option.addEventListener('mousedown', (e) => e.preventDefault());
        option.addEventListener('click', () => this.choose(p));
        return option;
      }),
    );
    this.listbox.hidden = this.matches.length === 0;
    this.status.textContent =
      this.prompts === undefined
        ? 'Looking for prompts…'
        : this.matches.length
          ? `${this.matches.length} prompt${this.matches.length === 1 ? '' : 's'}`
          : this.prompts.length
            ? `No prompt matches "${query}"`
            : 'Your MCP servers offer no prompts';
    this.composer.input.setAttribute('aria-expanded', String(this.matches.length > 0));
    if (this.matches.length) this.composer.input.setAttribute('aria-activedescendant', `slash-option-${this.active}`);
    else this.composer.input.removeAttribute('aria-activedescendant');
    this.listbox.children[this.active]?.scrollIntoView({ block: 'nearest' });
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.isOpen || e.target !== this.composer.input || e.isComposing) return;
    const step = e.key === 'ArrowDown' ? 1 : e.key === 'ArrowUp' ? -1 : 0;
    if (step && this.matches.length) {
      this.active = (this.active + step + this.matches.length) % this.matches.length;
      this.render(this.composer.input.value.slice(1).toLowerCase());
    } else if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey && this.matches.length) {
      this.choose(this.matches[this.active]);
    } else if (e.key === 'Escape') {
      this.close();
    } else return;
    e.preventDefault();
    e.stopPropagation();
  }

  private close(): void {
    if (!this.isOpen && this.element.hidden) return;
    this.isOpen = false;
    this.element.hidden = !this.form;
    this.listbox.replaceChildren();
    this.status.textContent = '';
    this.composer.input.setAttribute('aria-expanded', 'false');
    this.composer.input.removeAttribute('aria-activedescendant');
  }

  private choose(prompt: PromptInfo): void {
    this.close();
    if (!prompt.arguments.length) {
      this.handlers.use(prompt.server, prompt.name, {});
      return;
    }
    this.askArguments(prompt);
  }

  /** The arguments as a form: every one a text field (the protocol's arguments are strings), required marked. */
  private askArguments(prompt: PromptInfo): void {
    const properties: Record<string, ElicitationField> = {};
    for (const a of prompt.arguments)
      properties[a.name] = { type: 'string', title: a.name, ...(a.description ? { description: a.description } : {}) };
    const done = () => {
      form.remove();
      this.form = undefined;
      this.element.hidden = true;
      this.composer.focus();
    };
    const form = renderElicitation(
      {
        id: `prompt-${prompt.server}-${prompt.name}`,
        server: prompt.server,
        message: `/${prompt.name}${prompt.description ? `: ${prompt.description}` : ''}`,
        requestedSchema: { type: 'object', properties, required: prompt.arguments.filter((a) => a.required).map((a) => a.name) },
      },
      (action, content) => {
        done();
        if (action !== 'accept') return;
        const args: Record<string, string> = {};
        for (const [key, value] of Object.entries(content ?? {})) args[key] = String(value);
        this.handlers.use(prompt.server, prompt.name, args);
      },
    );
    // The same renderer, but not a server's request: the contract's `data-elicitation` stays for those.
    delete form.dataset.elicitation;
    form.dataset.promptForm = `${prompt.server}/${prompt.name}`;
    form.querySelector('.elicitation-heading')!.textContent = `Prompt from ${prompt.server}`;
    form.querySelector('[aria-label="Decline"]')?.remove();
    form.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      e.stopPropagation();
      done();
    });
    this.form = form;
    this.element.append(form);
    this.element.hidden = false;
    form.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }
}
