import { codicon, el } from '../dom';

/** VS Code's own drag format first (explorer, editor tabs), then the standard one. */
const URI_TYPES = ['application/vnd.code.uri-list', 'text/uri-list'];

/** RFC 2483 uri-list: one URI a line, `#` lines are comments. */
export function parseUriList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function carriesFiles(dt: DataTransfer | null): boolean {
  return !!dt && [...dt.types].some((t) => t === 'Files' || URI_TYPES.includes(t));
}

/**
 * Lets files be dropped anywhere on `zone`, lighting up `highlight` (the composer) while a drag is over it.
 * In VS Code a drag reaches a webview only while Shift is held; the hint says so.
 */
export function acceptFileDrops(
  zone: HTMLElement,
  highlight: HTMLElement,
  handlers: { drop(uris: string[]): void; unreadable(): void; files?(files: File[]): boolean },
): void {
  const hint = el('div', 'drop-hint');
  hint.setAttribute('aria-hidden', 'true');
  hint.append(codicon('attach'), el('span', undefined, 'Drop to attach (hold Shift in VS Code)'));
  highlight.append(hint);
  // dragenter/dragleave fire for every child crossed: count them to know when the drag really left.
  let depth = 0;
  const set = (on: boolean) => highlight.classList.toggle('dropping', on);
  zone.addEventListener('dragenter', (e) => {
    if (!carriesFiles(e.dataTransfer)) return;
    depth++;
    set(true);
  });
  zone.addEventListener('dragover', (e) => {
    if (!carriesFiles(e.dataTransfer)) return;
    e.preventDefault();
    e.dataTransfer!.dropEffect = 'copy';
    set(true);
  });
  zone.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) set(false);
  });
  zone.addEventListener('drop', (e) => {
    depth = 0;
    set(false);
    if (!carriesFiles(e.dataTransfer)) return;
    e.preventDefault();
    const dt = e.dataTransfer!;
    const raw = URI_TYPES.map((t) => dt.getData(t)).find((v) => v.trim() !== '') ?? '';
    const uris = parseUriList(raw).slice(0, 100);
    if (uris.length > 0) handlers.drop(uris);
    else if (dt.files.length > 0 && handlers.files?.([...dt.files])) return;
    else handlers.unreadable();
  });
}
