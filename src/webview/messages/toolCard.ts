import { formatBytes } from '../../shared/bytes';
import type { ResourceLinkInfo, ToolCallInfo, ToolTruncation } from '../../shared/protocol';

export interface ToolCardActions {
  approve(id: string, decision: 'allow' | 'deny' | 'always'): void;
  cancel(id: string): void;
  /** Opens the full text of a truncated result, kept by the host. */
  openFullResult?(fileId: string): void;
  /** A resource the result links to: read-only in an editor, or as a context chip. */
  openResource?(server: string, uri: string): void;
  attachResource?(server: string, uri: string, name: string): void;
}

const STATE_LABEL: Record<ToolCallInfo['state'], string> = {
  pending: 'Waiting for approval',
  running: 'Running',
  done: 'Done',
  error: 'Failed',
  cancelled: 'Cancelled',
};
const LONG_RESULT = 600;

/**
 * A tool call in the chat: `data-tool` and `data-state` per the contract, the arguments, a live
 * `<progress>` while the server reports known progress, elapsed time, and the result (collapsed when
 * long, images shown). While pending it is the approval prompt, with Allow / Deny.
 */
export class ToolCard {
  readonly element: HTMLElement;
  private readonly header: HTMLElement;
  private readonly body: HTMLElement;
  private timer: ReturnType<typeof setInterval> | undefined;
  private info: ToolCallInfo;

  constructor(
    readonly id: string,
    info: ToolCallInfo,
    private readonly actions: ToolCardActions,
  ) {
    this.info = info;
    this.element = document.createElement('div');
    this.element.className = 'tool-card';
    this.element.dataset.id = id;
    this.element.setAttribute('role', 'group');
    this.header = document.createElement('div');
    this.header.className = 'tool-header';
    this.body = document.createElement('div');
    this.body.className = 'tool-body';
    this.element.append(this.header, this.body);
    this.update(info);
  }

  update(info: ToolCallInfo): void {
    this.info = info;
    this.element.dataset.tool = info.name;
    this.element.dataset.state = info.state;
    this.element.setAttribute('aria-label', `Tool ${info.name}: ${STATE_LABEL[info.state]}`);
    this.renderHeader();
    this.renderBody();
    if (info.state === 'running' && info.startedAt && !this.timer) this.timer = setInterval(() => this.renderElapsed(), 1000);
    if (info.state !== 'running' && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private renderHeader(): void {
    const { name, server, state } = this.info;
    const icon = { pending: 'shield', running: 'loading codicon-modifier-spin', done: 'check', error: 'error', cancelled: 'circle-slash' }[
      state
    ];
    this.header.replaceChildren();
    const i = document.createElement('span');
    i.className = `codicon codicon-${icon}`;
    i.setAttribute('aria-hidden', 'true');
    const title = document.createElement('span');
    title.className = 'tool-title';
    const label = document.createElement('span');
    label.className = 'tool-name';
    label.textContent = name;
    title.append(i, label);
    const meta = document.createElement('span');
    meta.className = 'tool-meta';
    meta.textContent = [server, STATE_LABEL[state]].filter(Boolean).join(' · ');
    const elapsed = document.createElement('span');
    elapsed.className = 'tool-elapsed';
    this.header.append(title, meta, elapsed);
    if (state === 'running') {
      const cancel = document.createElement('button');
      cancel.type = 'button';
      cancel.className = 'icon-button';
      cancel.title = 'Cancel this tool call';
      cancel.setAttribute('aria-label', `Cancel ${name}`);
      cancel.innerHTML = '<span class="codicon codicon-close" aria-hidden="true"></span>';
      cancel.addEventListener('click', () => this.actions.cancel(this.id));
      this.header.append(cancel);
    }
    this.renderElapsed();
  }

  private renderElapsed(): void {
    const el = this.header.querySelector('.tool-elapsed');
    if (!el) return;
    const ms = this.info.durationMs ?? (this.info.startedAt ? Date.now() - this.info.startedAt : undefined);
    el.textContent = ms === undefined ? '' : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  }

  private renderBody(): void {
    const { state, progress, result } = this.info;
    this.body.replaceChildren();
    const args = document.createElement('pre');
    args.className = 'tool-args';
    args.textContent = this.info.arguments;
    this.body.append(args);
    if (state === 'pending') this.body.append(this.approvalButtons());
    if (state === 'running' && progress) {
      const bar = document.createElement('progress');
      if (progress.total !== undefined) {
        bar.max = progress.total;
        bar.value = progress.progress;
      }
      bar.setAttribute('aria-label', `${this.info.name} progress`);
      this.body.append(bar);
      if (progress.message) {
        const msg = document.createElement('div');
        msg.className = 'tool-progress-message';
        msg.textContent = progress.message;
        this.body.append(msg);
      }
    }
    if (result?.truncated) this.body.append(this.truncationNote(result.truncated));
    if (result) this.body.append(this.resultView(result));
    if (result?.links?.length && this.info.server) this.body.append(this.linksView(this.info.server, result.links));
  }

  /** Outside the collapsed result: the resources stay one click away however long the text is. */
  private linksView(server: string, links: ResourceLinkInfo[]): HTMLElement {
    const list = document.createElement('ul');
    list.className = 'tool-links';
    list.setAttribute('aria-label', `Resources from ${server}`);
    for (const link of links) {
      const item = document.createElement('li');
      item.dataset.resource = link.uri;
      const name = document.createElement('span');
      name.className = 'tool-link-name';
      name.textContent = link.name;
      name.title = `${link.uri}${link.mimeType ? ` (${link.mimeType})` : ''}`;
      item.append(name);
      const button = (label: string, text: string, run: () => void) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'secondary';
        b.textContent = text;
        b.setAttribute('aria-label', label);
        b.addEventListener('click', run);
        item.append(b);
      };
      if (this.actions.openResource) button(`Open ${link.name}`, 'Open', () => this.actions.openResource?.(server, link.uri));
      if (this.actions.attachResource)
        button(`Attach ${link.name}`, 'Attach', () => this.actions.attachResource?.(server, link.uri, link.name));
      list.append(item);
    }
    return list;
  }

  private approvalButtons(): HTMLElement {
    const box = document.createElement('div');
    box.className = 'actions';
    const question = document.createElement('p');
    question.className = 'tool-question';
    question.textContent = this.info.alwaysAsks
      ? 'Run this command? Commands always ask first, even when tools are set to run without asking.'
      : this.info.readOnly
        ? 'Run this read-only tool?'
        : 'Run this tool? It may change things.';
    const button = (label: string, decision: 'allow' | 'deny' | 'always', primary = false) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = primary ? 'primary' : 'secondary';
      b.textContent = label;
      b.setAttribute('aria-label', label);
      b.addEventListener('click', () => this.actions.approve(this.id, decision));
      return b;
    };
    box.append(question, button('Allow', 'allow', true), button('Deny', 'deny'));
    if (!this.info.alwaysAsks) box.append(button('Always allow this tool', 'always'));
    return box;
  }

  private resultView(result: NonNullable<ToolCallInfo['result']>): HTMLElement {
    const wrap = document.createElement(result.text.length > LONG_RESULT ? 'details' : 'div');
    wrap.className = `tool-result${result.isError ? ' is-error' : ''}`;
    if (wrap instanceof HTMLDetailsElement) {
      const summary = document.createElement('summary');
      summary.textContent = `${result.isError ? 'Error' : 'Result'} (${result.text.length.toLocaleString()} characters)`;
      wrap.append(summary);
    }
    const text = document.createElement('pre');
    text.textContent = result.text;
    wrap.append(text);
    for (const image of result.images ?? []) {
      // Tool images arrive inline as base64 (data: URIs are what the CSP allows); only raster types.
      if (!/^image\/(png|jpeg|gif|webp)$/.test(image.mimeType)) continue;
      const img = document.createElement('img');
      img.alt = `Image from ${this.info.name}`;
      img.src = `data:${image.mimeType};base64,${image.data}`;
      wrap.append(img);
    }
    return wrap;
  }

  /** Above the result and outside its collapsed part, so a cut result never looks whole. */
  private truncationNote(t: ToolTruncation): HTMLElement {
    const note = document.createElement('div');
    note.className = 'tool-truncated';
    note.setAttribute('role', 'note');
    const parts = [];
    if (t.keptBytes < t.originalBytes) parts.push(`truncated: ${formatBytes(t.originalBytes)} → ${formatBytes(t.keptBytes)}`);
    if (t.imagesLeftOut) parts.push(`${t.imagesLeftOut} image${t.imagesLeftOut === 1 ? '' : 's'} left out`);
    const label = document.createElement('span');
    label.textContent = `${parts.join(', ')}; the model saw only this part.`;
    note.append(label);
    const fileId = t.fileId;
    if (fileId && this.actions.openFullResult) {
      const open = document.createElement('button');
      open.type = 'button';
      open.className = 'secondary';
      open.textContent = 'Open full result';
      open.setAttribute('aria-label', `Open the full result of ${this.info.name}`);
      open.addEventListener('click', () => this.actions.openFullResult?.(fileId));
      note.append(open);
    }
    return note;
  }
}
