import type { ContextChipLabel, ContextKind } from '../../shared/protocol';
import { codicon, el } from '../dom';

const ICON: Record<ContextKind, string> = {
  selection: 'selection',
  activeFile: 'file',
  file: 'file',
  problems: 'warning',
  instructions: 'book',
  resource: 'plug',
};

/** What went with a question, as read-only chips under it: only labels, the content stays in the host. */
export function messageContextChips(chips: ContextChipLabel[]): HTMLElement {
  const row = el('div', 'message-context');
  row.setAttribute('role', 'list');
  row.setAttribute('aria-label', 'Context sent with this message');
  for (const chip of chips) {
    const item = el('span', 'message-chip');
    item.setAttribute('role', 'listitem');
    item.title = `~${chip.tokens.toLocaleString('en-US')} tokens`;
    item.append(codicon(ICON[chip.kind] ?? 'file'), el('span', 'message-chip-label', chip.label));
    row.append(item);
  }
  return row;
}
