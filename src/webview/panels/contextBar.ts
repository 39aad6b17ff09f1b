import type { ContextChip, ContextKind, ContextMeter } from '../../shared/protocol';
import { estimateTokens } from '../../shared/tokens';
import { codicon, el, iconButton, keepingFocus } from '../dom';

export interface ContextActions {
  toggle(id: string, enabled: boolean): void;
  remove(id: string): void;
  add(): void;
}

const ICONS: Record<ContextKind, string> = {
  selection: 'selection',
  activeFile: 'file',
  file: 'file',
  problems: 'warning',
  instructions: 'book',
  resource: 'plug',
};

/**
 * The row above the message box: what the next question carries (chips), a button to attach more, and how
 * full the model's context will be. One line when it fits; at sidebar widths the meter wraps below the chips.
 */
export class ContextBar {
  readonly element: HTMLElement;
  private readonly add: HTMLButtonElement;
  private readonly meter: HTMLElement;
  private readonly meterFill: HTMLElement;
  private readonly meterText: HTMLElement;
  private state: ContextMeter | undefined;
  private draftTokens = 0;
  private draftImageTokens = 0;

  constructor(private readonly actions: ContextActions) {
    // One flow for chips, + and meter, so the meter takes the end of the last chip line instead of its own.
    this.element = el('div', 'context-bar');
    this.element.setAttribute('role', 'group');
    this.element.setAttribute('aria-label', 'Context for the next question');
    this.add = iconButton('Add context', 'attach');
    this.add.classList.add('context-add');
    // VS Code hands a drag to a webview only while Shift is held: say so where people look for attaching.
    this.add.title = 'Add context (or drag files here while holding Shift)';
    this.add.addEventListener('click', () => actions.add());
    this.meter = el('div', 'context-meter');
    this.meter.hidden = true;
    const track = el('span', 'meter-track');
    track.setAttribute('aria-hidden', 'true');
    this.meterFill = el('span', 'meter-fill');
    track.append(this.meterFill);
    this.meterText = el('span', 'meter-text');
    this.meter.append(track, this.meterText);
    this.element.append(this.add, this.meter);
  }

  show(chips: ContextChip[], meter: ContextMeter): void {
    keepingFocus(this.element, 'data-context-id', this.add, () =>
      this.element.replaceChildren(...chips.map((c) => this.chip(c)), this.add, this.meter),
    );
    this.state = meter;
    this.renderMeter();
  }

  /** The draft counts too, estimated the way the host estimates: about four characters a token. */
  setDraft(text: string): void {
    this.draftTokens = estimateTokens(text);
    this.renderMeter();
  }

  /** So do the images waiting in the message box, at their chips' token cost. */
  setDraftImages(tokens: number): void {
    this.draftImageTokens = tokens;
    this.renderMeter();
  }

  private chip(c: ContextChip): HTMLElement {
    const chip = el('div', 'chip');
    chip.dataset.contextId = c.id;
    chip.dataset.kind = c.kind;
    chip.dataset.enabled = String(c.enabled);
    const body: Node[] = [
      codicon(ICONS[c.kind] ?? 'file'),
      el('span', 'chip-label', c.label),
      el('span', 'chip-tokens', `~${formatTokens(c.tokens)} tok`),
    ];
    if (c.note) body.push(el('span', 'chip-note', c.note));
    const tooltip = [c.detail ?? c.label, `about ${c.tokens.toLocaleString('en-US')} tokens`, c.note].filter(Boolean).join(' · ');
    // Chips that can be switched off are toggle buttons; attached files are removed with × instead.
    if (!c.removable || !c.enabled) {
      const toggle = el('button', 'chip-toggle');
      toggle.type = 'button';
      toggle.setAttribute('aria-pressed', String(c.enabled));
      toggle.setAttribute('aria-label', `Include ${c.label}`);
      toggle.title = `${tooltip}\n${c.enabled ? 'Click to leave it out of the next question' : 'Left out: click to include it'}`;
      toggle.append(...body);
      toggle.addEventListener('click', () => this.actions.toggle(c.id, !c.enabled));
      chip.append(toggle);
    } else {
      const span = el('span', 'chip-body');
      span.title = tooltip;
      span.append(...body);
      chip.append(span);
    }
    if (c.removable) {
      const remove = iconButton(`Remove ${c.label}`, 'close', 'chip-remove');
      remove.addEventListener('click', () => this.actions.remove(c.id));
      chip.append(remove);
    }
    return chip;
  }

  private renderMeter(): void {
    if (!this.state) return;
    const used = this.state.usedTokens + this.draftTokens + this.draftImageTokens;
    const limit = this.state.limitTokens;
    this.meter.hidden = false;
    const m = this.meter;
    if (!limit) {
      for (const a of ['role', 'aria-valuemin', 'aria-valuemax', 'aria-valuenow', 'aria-valuetext', 'aria-label']) m.removeAttribute(a);
      m.dataset.level = 'ok';
      m.classList.add('no-limit');
      this.meterText.textContent = `~${formatTokens(used)} tokens`;
      m.title = `About ${used.toLocaleString('en-US')} tokens go with the next question (the model's context size is not known)`;
      return;
    }
    const ratio = used / limit;
    m.classList.remove('no-limit');
    m.setAttribute('role', 'meter');
    m.setAttribute('aria-label', 'Context used');
    m.setAttribute('aria-valuemin', '0');
    m.setAttribute('aria-valuemax', String(limit));
    m.setAttribute('aria-valuenow', String(Math.min(used, limit)));
    m.setAttribute('aria-valuetext', `about ${used.toLocaleString('en-US')} of ${limit.toLocaleString('en-US')} tokens`);
    m.dataset.level = ratio > 1 ? 'over' : ratio > 0.8 ? 'warn' : 'ok';
    this.meterText.textContent = `${formatTokens(used)} / ${formatTokens(limit)} tokens`;
    // CSSOM writes are allowed under the page's CSP (style attributes in markup are not).
    this.meterFill.style.width = `${Math.min(100, ratio * 100)}%`;
    m.title = `About ${used.toLocaleString('en-US')} of the model's ${limit.toLocaleString('en-US')}-token context: instructions, conversation, context and your draft with its images`;
  }
}

/** 950 → "950", 1234 → "1.2k", 8192 → "8.2k", 8000 → "8k", 12800 → "13k", 1_100_000 → "1.1M". */
export function formatTokens(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 10_000) return `${trim((n / 1000).toFixed(1))}k`;
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`;
  return `${trim((n / 1_000_000).toFixed(1))}M`;
}

const trim = (s: string) => s.replace(/\.0$/, '');
