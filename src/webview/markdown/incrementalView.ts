import { IncrementalMarkdown, type RenderUpdate } from './incrementalRenderer';
import type { Markdown, MarkdownView } from './markdown';
import { morphChildren } from './morph';

/**
 * Puts `IncrementalMarkdown`'s updates into the DOM: committed blocks are never touched again; the
 * unfinished tail lives in one `.tail` element (which carries the streaming caret) and is morphed into
 * each new render, keeping what did not change (morph.ts), or, inside an open code fence, only has text
 * appended to its code. A block that becomes final moves out of the tail as it is, not built again.
 * After `finish` the tail element is gone and the children are exactly markdown-it's render.
 *
 * While streaming, committed blocks sit in plain `div.chunk` groups of CHUNK_SIZE: with thousands of
 * top-level children, the parent's layout walk alone cost 1.5 ms per update (3,000 blocks, Chromium),
 * 0.1 ms once grouped. The groups have no styling or containment, so margins collapse through them as if
 * they were not there. `finish` unwraps them: at once when they hold few elements, otherwise a bounded number
 * of elements per idle callback. What costs is not the moving, which `timeRemaining` sees, but the style and
 * layout of the moved blocks in the frame after it: a whole group of 64 blocks per callback made frames of
 * 50-90 ms with a core busy (as many groups as fitted in an idle period, 400-800 ms); UNWRAP_ELEMENTS
 * elements (about 600 layout objects) keep each such frame a few ms.
 */
const CHUNK_SIZE = 64;
const UNWRAP_ELEMENTS = 120;

function unwrapWhenIdle(chunks: Element[]): void {
  const idle = (fn: () => void) =>
    typeof requestIdleCallback === 'function' ? requestIdleCallback(fn, { timeout: 1000 }) : setTimeout(fn, 0);
  const step = () => {
    unwrapSome(chunks, UNWRAP_ELEMENTS);
    if (chunks.length) idle(step);
  };
  idle(step);
}

/** Moves the groups' blocks, in order, in front of their group until `budget` elements have moved. */
function unwrapSome(chunks: Element[], budget: number): void {
  let moved = 0;
  while (chunks.length && moved < budget) {
    const chunk = chunks[0];
    const node = chunk.firstChild;
    if (!node) {
      chunk.remove();
      chunks.shift();
      continue;
    }
    moved += node instanceof Element ? 1 + node.getElementsByTagName('*').length : 0;
    chunk.before(node);
  }
  // A group emptied by the last move goes now, not in another callback.
  while (chunks.length && !chunks[0].firstChild) chunks.shift()!.remove();
}

export class IncrementalMarkdownView implements MarkdownView {
  private readonly model: IncrementalMarkdown;
  private tail: HTMLElement | undefined;
  private chunk: HTMLElement | undefined;
  /** The nodes of each committed segment (IncrementalMarkdown's), to replace one when its links change. */
  private readonly segments: Node[][] = [];
  private finished = false;

  constructor(
    md: Markdown,
    private readonly element: HTMLElement,
    /** Called with the top-level elements of each batch of committed blocks (code blocks get decorated). */
    private readonly onCommitted: (elements: Element[]) => void = () => {},
  ) {
    this.model = new IncrementalMarkdown(md);
  }

  get text(): string {
    return this.model.text;
  }

  append(text: string): void {
    if (!text || this.finished) return;
    this.apply(this.model.append(text));
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.apply(this.model.finish());
    this.tail?.remove();
    this.tail = undefined;
    this.chunk = undefined;
    this.segments.length = 0;
    const chunks = Array.from(this.element.querySelectorAll(':scope > .chunk'));
    if (!chunks.length) return;
    if (this.element.getElementsByTagName('*').length <= UNWRAP_ELEMENTS) unwrapSome(chunks, Infinity);
    else unwrapWhenIdle(chunks);
  }

  private apply(update: RenderUpdate): void {
    for (const { segment, html } of update.replace ?? []) this.replaceSegment(segment, parse(html));
    if (update.plainTail !== undefined && !update.commit) return this.showPlainTail(update.plainTail);
    if (update.commit || update.tail !== undefined) {
      // Blocks just committed were the tail's first children: morphing the tail into commit + new tail keeps
      // those nodes (and the rest of the tail) instead of building them again.
      const committed = parse(update.commit);
      morphChildren(this.tailElement(), [...committed, ...parse(update.tail ?? '')]);
      if (committed.length) this.commitTailStart(committed.length);
    }
    if (update.fenceText) {
      const code = this.tail?.lastElementChild?.querySelector('code');
      const last = code?.lastChild;
      if (last instanceof Text) last.appendData(update.fenceText);
      else code?.append(update.fenceText);
    }
  }

  /**
   * The tail is one paragraph of plain text: the same nodes the HTML would parse to (`<p>`, its text, the
   * line break after it), kept and given the new text when they are there already.
   */
  private showPlainTail(text: string): void {
    const tail = this.tailElement();
    const [p, after] = tail.childNodes;
    const words = p?.firstChild;
    const same = p instanceof HTMLParagraphElement && p.childNodes.length === 1 && words instanceof Text;
    if (same && tail.childNodes.length === 2 && after instanceof Text && after.data === '\n') {
      if (words.data !== text) words.data = text;
      return;
    }
    const paragraph = document.createElement('p');
    paragraph.append(text);
    tail.replaceChildren(paragraph, '\n');
  }

  /** The element that holds the unfinished tail (and the caret), made on the first update. */
  private tailElement(): HTMLElement {
    if (!this.tail) {
      this.tail = document.createElement('div');
      this.tail.className = 'tail';
      this.element.append(this.tail);
    }
    return this.tail;
  }

  /** Moves the tail's first `count` nodes, now final, into the current chunk of committed blocks. */
  private commitTailStart(count: number): void {
    const nodes = Array.from(this.tail!.childNodes).slice(0, count);
    if (!this.chunk || this.chunk.childElementCount >= CHUNK_SIZE) {
      this.chunk = document.createElement('div');
      this.chunk.className = 'chunk';
      this.element.insertBefore(this.chunk, this.tail!);
    }
    this.chunk.append(...nodes);
    this.segments.push(nodes);
    this.onCommitted(nodes.filter((n): n is Element => n instanceof Element));
  }

  /** Puts `nodes` where committed segment `index` is, in place of its nodes. */
  private replaceSegment(index: number, nodes: Node[]): void {
    const old = this.segments[index];
    const anchor = old[0] ?? this.segments.slice(index + 1).find((s) => s.length)?.[0];
    const parent = anchor?.parentNode ?? this.chunk ?? this.element;
    for (const node of nodes) parent.insertBefore(node, anchor ?? null);
    for (const node of old) (node as ChildNode).remove();
    this.segments[index] = nodes;
    this.onCommitted(nodes.filter((n): n is Element => n instanceof Element));
  }
}

function parse(html: string): Node[] {
  if (!html) return [];
  const template = document.createElement('template');
  template.innerHTML = html;
  return Array.from(template.content.childNodes);
}
