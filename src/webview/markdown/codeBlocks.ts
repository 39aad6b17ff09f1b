import { highlight } from './highlighter';

export interface CodeActions {
  copy(text: string): void;
  insert(text: string): void;
  /** Proposes the block as a change to its file; `info` is the fence's info string, `before` the line above it. */
  apply?(block: { text: string; info?: string; before?: string; pre: Element }): void;
}

/**
 * Gives each closed code block its toolbar (language, Copy, Insert at cursor, Apply) and, when the browser is
 * idle, its highlighting. Everything added carries `data-ui`, so the model's own text stays apart from
 * the interface. Highlighting keeps the text and so the block's size: nothing on screen moves.
 */
export function decorateCodeBlocks(elements: Element[], actions: CodeActions): void {
  for (const element of elements) {
    const blocks = element.matches('pre') ? [element] : Array.from(element.querySelectorAll('pre'));
    for (const pre of blocks) {
      const code = pre.querySelector(':scope > code');
      if (!code || pre.querySelector(':scope > [data-ui]')) continue;
      const language = /(?:^|\s)language-([\w+#.-]+)/.exec(code.className)?.[1];
      pre.prepend(toolbar(language, () => code.textContent ?? '', actions, pre, code.getAttribute('data-info') ?? undefined));
      if (language) scheduleHighlight(code, language);
    }
  }
}

function toolbar(
  language: string | undefined,
  text: () => string,
  actions: CodeActions,
  pre: Element,
  info: string | undefined,
): HTMLElement {
  const bar = document.createElement('span');
  bar.dataset.ui = 'code-toolbar';
  bar.className = 'code-toolbar';
  if (language) {
    const label = document.createElement('span');
    label.dataset.ui = 'language';
    label.className = 'code-language';
    label.textContent = language;
    bar.append(label);
  }
  bar.append(
    button('copy', 'Copy code', 'copy', () => actions.copy(text())),
    button('insert', 'Insert at cursor', 'insert', () => actions.insert(text())),
  );
  if (actions.apply) {
    const apply = actions.apply;
    bar.append(
      button('apply', 'Apply', 'git-pull-request-go-to-changes', () => apply({ text: text(), info, before: lineBefore(pre), pre })),
    );
  }
  return bar;
}

/** The last line of the text just above the block, where models often name the file ("`src/app.ts`:"). */
function lineBefore(pre: Element): string | undefined {
  const previous = pre.previousElementSibling;
  if (!previous || previous.matches('pre')) return undefined;
  const lines = (previous.textContent ?? '').trim().split('\n');
  return lines[lines.length - 1]?.slice(-500) || undefined;
}

function button(ui: string, label: string, icon: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.dataset.ui = ui;
  b.className = 'icon-button code-action';
  b.title = label;
  b.setAttribute('aria-label', label);
  b.innerHTML = `<span class="codicon codicon-${icon}" aria-hidden="true"></span>`;
  b.addEventListener('click', onClick);
  return b;
}

const idle: (fn: () => void) => void = (fn) =>
  typeof requestIdleCallback === 'function' ? requestIdleCallback(fn, { timeout: 500 }) : setTimeout(fn, 0);

/**
 * Highlighting that has come back waits for the page's next drawn update (`applyHighlights`), or LATE_MS when
 * none comes (an answer that ended, a conversation opened). Put in on its own, each block was a frame of its
 * own: style, layout, paint and the compositor's work for a change nobody waits for, about 42 of the ~295
 * frames of a 130 KB answer streamed in code-server. With an update, it shares that update's frame.
 */
const LATE_MS = 120;
const ready: Array<() => void> = [];
let late: ReturnType<typeof setTimeout> | undefined;

/** Puts in the highlighting that has come back; the page calls it as it draws streamed text. */
export function applyHighlights(): void {
  clearTimeout(late);
  late = undefined;
  for (const apply of ready.splice(0)) apply();
}

function scheduleHighlight(code: Element, language: string): void {
  idle(() => {
    const text = code.textContent ?? '';
    void highlight(text, language).then((html) => {
      if (html === undefined) return;
      ready.push(() => {
        // The block may have been replaced or changed meanwhile: only highlight what is still the same.
        if (code.isConnected && code.textContent === text) code.innerHTML = html;
      });
      late ??= setTimeout(applyHighlights, LATE_MS);
    });
  });
}
