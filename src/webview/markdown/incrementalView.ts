import { IncrementalMarkdown, type RenderUpdate } from './incrementalRenderer';
import type { Markdown, MarkdownView } from './markdown';
import { morphChildren } from './morph';

/**
 * Puts `IncrementalMarkdown`'s updates into the DOM: committed blocks are never touched again; the
 * unfinished tail lives in one `.tail` element (which carries the streaming caret) and is morphed into
 * each new render, keeping what did not change (morph.ts), or, inside an open code fence, only has text
 * appended to its code. A block that becomes final moves out of the tail as it is, not built again.
 * After `finish` the tail element is gone and the blocks are exactly markdown-it's render (a long answer's in
 * their groups, below).
 *
 * While streaming, committed blocks sit in plain `div.chunk` groups of CHUNK_SIZE: with thousands of
 * top-level children, the parent's layout walk alone cost 1.5 ms per update (3,000 blocks, Chromium),
 * 0.1 ms once grouped. The groups have no styling or containment, so margins collapse through them as if
 * they were not there. `finish` unwraps them when they hold few elements (UNWRAP_ELEMENTS); a long answer
 * keeps them. Unwrapping the 130 KB real-world document, even a bounded number of elements per idle
 * callback, re-attached and laid out the whole answer again after it ended: about 450 ms of layout in
 * steps of 20-35 ms, each a frame that a busy core stretched past 50 ms (with Chromium's CPU throttled 4x,
 * 1.8-2.4 s of work in the 2.5 s after the end; 0.1-0.3 s without).
 */
const CHUNK_SIZE = 64;
const UNWRAP_ELEMENTS = 120;
/**
 * The caret blinks only once text has stopped coming for this long (`data-idle` on the tail). A blinking
 * caret on text that changes 20 times a second cost a frame of its own after every update (the animation
 * restarted on the caret's new place: a style pass and a commit; 480 frames for 237 updates in Chromium, 290
 * with a steady caret), and while text flows nobody can see it blink anyway.
 */
const BLINK_AFTER_MS = 600;

/** Moves the groups' blocks, in order, in front of their group, and removes the groups. */
function unwrap(chunks: Element[]): void {
  for (const chunk of chunks) chunk.replaceWith(...Array.from(chunk.childNodes));
}

export class IncrementalMarkdownView implements MarkdownView {
  private readonly model: IncrementalMarkdown;
  private tail: HTMLElement | undefined;
  private chunk: HTMLElement | undefined;
  /** The nodes of each committed segment (IncrementalMarkdown's), to replace one when its links change. */
  private readonly segments: Node[][] = [];
  private finished = false;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

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
    this.blinkWhenIdle();
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.idleTimer);
    this.apply(this.model.finish());
    this.tail?.remove();
    this.tail = undefined;
    this.chunk = undefined;
    this.segments.length = 0;
    if (this.element.getElementsByTagName('*').length <= UNWRAP_ELEMENTS)
      unwrap(Array.from(this.element.querySelectorAll(':scope > .chunk')));
  }

  private apply(update: RenderUpdate): void {
    for (const { segment, html } of update.replace ?? []) this.replaceSegment(segment, parse(html));
    if (update.plainTail !== undefined && !update.commit) return this.showPlainTail(update.plainTail);
    if (update.commit || update.tail !== undefined) {
      // Blocks just committed were the tail's first children: morphing the tail into commit + new tail keeps
      // those nodes (and the rest of the tail) instead of building them again.
      const [committed, tail] = parseSplit(update.commit, update.tail ?? '');
      morphChildren(this.tailElement(), [...committed, ...tail]);
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

  /** Steady while text comes; blinking once it pauses (a model thinking, a tool running). */
  private blinkWhenIdle(): void {
    const tail = this.tail;
    if (!tail) return;
    if (tail.dataset.idle !== undefined) delete tail.dataset.idle;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => (tail.dataset.idle = ''), BLINK_AFTER_MS);
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

  /**
   * Puts `nodes` where committed segment `index` is, in place of its nodes. A definition changes only the
   * blocks that use its label, so when the segment has the same blocks, those that render the same stay as
   * they are: a code block is never touched (references cannot reach into code, and it keeps its toolbar and
   * highlighting), and a block equal to its new render keeps its layout. Rebuilding every block of every
   * segment that used a label was the costliest update of a README ending in `[1]: ...` definitions (12 ms of
   * script, 17 ms of layout, and every code block highlighted again).
   */
  private replaceSegment(index: number, nodes: Node[]): void {
    const old = this.segments[index];
    if (old.length === nodes.length && old.every((node, i) => node.nodeName === nodes[i].nodeName)) {
      const changed: Element[] = [];
      this.segments[index] = old.map((node, i) => {
        if (sameBlock(node, nodes[i])) return node;
        (node as ChildNode).replaceWith(nodes[i]);
        if (nodes[i] instanceof Element) changed.push(nodes[i] as Element);
        return nodes[i];
      });
      if (changed.length) this.onCommitted(changed);
      return;
    }
    const anchor = old[0] ?? this.segments.slice(index + 1).find((s) => s.length)?.[0];
    const parent = anchor?.parentNode ?? this.chunk ?? this.element;
    for (const node of nodes) parent.insertBefore(node, anchor ?? null);
    for (const node of old) (node as ChildNode).remove();
    this.segments[index] = nodes;
    this.onCommitted(nodes.filter((n): n is Element => n instanceof Element));
  }
}

/**
 * Whether a committed block `now` in the DOM renders as `rendered`. A top-level code block (decorated in
 * place, so never equal node for node) is the same when its code and attributes (language, info) are.
 */
function sameBlock(now: Node, rendered: Node): boolean {
  if (now instanceof HTMLPreElement && rendered instanceof HTMLPreElement) {
    const [a, b] = [now.querySelector(':scope > code'), rendered.querySelector(':scope > code')];
    return !!a && !!b && sameAttributes(now, rendered) && sameAttributes(a, b) && a.textContent === b.textContent;
  }
  return now.isEqualNode(rendered);
}

function sameAttributes(a: Element, b: Element): boolean {
  return a.attributes.length === b.attributes.length && Array.from(a.attributes).every((x) => b.getAttribute(x.name) === x.value);
}

/**
 * The committed blocks' and the tail's nodes from one parse: markdown-it's HTML (raw HTML off) never holds a
 * comment, so one between them marks where the tail starts. A parse makes garbage in Blink's heap whatever its
 * size (the parser, the fragment), and the heap is the workbench's too in code-server (bench/heapGarbage.ts).
 */
function parseSplit(commit: string, tail: string): [Node[], Node[]] {
  if (!commit) return [[], parse(tail)];
  if (!tail) return [parse(commit), []];
  const nodes = parse(`${commit}<!--tail-->${tail}`);
  const at = nodes.findIndex((n) => n.nodeType === Node.COMMENT_NODE);
  // Only HTML left open could put the mark inside an element; then the two are parsed on their own.
  if (at === -1) return [parse(commit), parse(tail)];
  return [nodes.slice(0, at), nodes.slice(at + 1)];
}

function parse(html: string): Node[] {
  if (!html) return [];
  const template = document.createElement('template');
  template.innerHTML = html;
  return Array.from(template.content.childNodes);
}
