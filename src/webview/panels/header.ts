import type { ModelLabel } from '../../shared/protocol';
import { codicon, el, iconButton } from '../dom';

/** The top bar: the model picker on the left, History and New chat on the right (as in VS Code's chat). */
export class Header {
  readonly element: HTMLElement;
  readonly historyButton: HTMLButtonElement;
  private readonly modelButton: HTMLButtonElement;

  constructor(actions: { selectModel(): void; toggleHistory(): void; newChat(): void }) {
    this.element = el('header');
    this.modelButton = el('button', 'model-picker');
    this.modelButton.type = 'button';
    this.modelButton.title = 'Select model';
    this.modelButton.addEventListener('click', () => actions.selectModel());
    this.historyButton = iconButton('Show history', 'history');
    this.historyButton.setAttribute('aria-pressed', 'false');
    this.historyButton.addEventListener('click', () => actions.toggleHistory());
    const newChat = iconButton('New chat', 'add');
    newChat.addEventListener('click', () => actions.newChat());
    const tools = el('div', 'header-actions');
    tools.append(this.historyButton, newChat);
    this.element.append(this.modelButton, tools);
    this.showModel({ endpoint: 'Model Chat', model: undefined });
  }

  showModel(model: ModelLabel): void {
    const text = model.model ? `${model.endpoint} · ${model.model}` : `${model.endpoint} · no model yet`;
    this.modelButton.replaceChildren(codicon('sparkle'), el('span', 'label', text), codicon('chevron-down'));
    this.modelButton.setAttribute('aria-label', `Model: ${text}. Select model`);
  }

  setHistoryOpen(open: boolean): void {
    this.historyButton.setAttribute('aria-pressed', String(open));
  }
}
