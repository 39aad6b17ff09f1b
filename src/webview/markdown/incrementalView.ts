import { IncrementalMarkdown, type RenderUpdate } from './incrementalRenderer';
import type { Markdown, MarkdownView } from './markdown';
import { morphChildren } from './morph';

/**
 * Puts `IncrementalMarkdown`'s updates into the DOM: committed blocks are never touched again; the
 * unfinished tail is the nodes after them in the last group (`div.chunk[data-live]`, which carries the
 * streaming caret), morphed into each new render, keeping what did not change (morph.ts), or, inside an
 * open code fence, only given text appended to its code. A block that becomes final stays where it is: it
 * only stops being part of the tail. (In a `.tail` element of its own, each final block was moved out into
 * its group, and a moved node is detached and attached again: every block of the answer was styled, shaped
 * and laid out twice, a third of the page's layout per update.) After `finish` the blocks are exactly
 * markdown-it's render (a long answer's in their groups, below).
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
 * The caret blinks only once text has stopped coming for this long (`data-idle` on the live group). A blinking
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
  /** The last group: committed blocks, then the tail's nodes (from `committedNodes` on). */
  private live: HTMLElement | undefined;
  /** How many of the live group's first child nodes are committed; the rest are the tail. */
  private committedNodes = 0;
  /** How many of those are elements (a group holds CHUNK_SIZE). */
  private committedElements = 0;
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
    if (this.live) {
      delete this.live.dataset.live;
      delete this.live.dataset.idle;
    }
    this.live = undefined;
    this.segments.length = 0;
    if (this.element.getElementsByTagName('*').length <= UNWRAP_ELEMENTS)
      unwrap(Array.from(this.element.querySelectorAll(':scope > .chunk')));
  }

  private apply(update: RenderUpdate): void {
    for (const { segment, html } of update.replace ?? []) this.replaceSegment(segment, parse(html));
    if (update.plainTail !== undefined && !update.commit) return this.showPlainTail(update.plainTail);
    if (update.commit || update.tail !== undefined) {
      // Blocks just committed were the tail's first nodes: morphing the tail into commit + new tail keeps
      // those nodes (and the rest of the tail) instead of building them again.
      const committed = parse(update.commit);
      const live = this.liveGroup();
      morphChildren(live, [...committed, ...parse(update.tail ?? '')], this.tailStart());
      if (committed.length) this.commitTailStart(committed.length);
    }
    if (update.fenceText) {
      const code = this.live?.lastElementChild?.querySelector('code');
      const last = code?.lastChild;
      if (last instanceof Text) last.appendData(update.fenceText);
      else code?.append(update.fenceText);
    }
  }

  /** The tail's first node (null when the tail is empty: its nodes go at the end). */
  private tailStart(): ChildNode | null {
    return this.live?.childNodes[this.committedNodes] ?? null;
  }

  /**
   * The tail is one paragraph of plain text: the same nodes the HTML would parse to (`<p>`, its text, the
   * line break after it), kept and given the new text when they are there already.
   */
  private showPlainTail(text: string): void {
    const live = this.liveGroup();
    const [p, after, extra] = Array.from(live.childNodes).slice(this.committedNodes);
    const words = p?.firstChild;
    const same = p instanceof HTMLParagraphElement && p.childNodes.length === 1 && words instanceof Text;
    if (same && !extra && after instanceof Text && after.data === '\n') {
      if (words.data !== text) words.data = text;
      return;
    }
    const paragraph = document.createElement('p');
    paragraph.append(text);
    morphChildren(live, [paragraph, document.createTextNode('\n')], this.tailStart());
  }

  /** Steady while text comes; blinking once it pauses (a model thinking, a tool running). */
  private blinkWhenIdle(): void {
    const live = this.live;
    if (!live) return;
    if (live.dataset.idle !== undefined) delete live.dataset.idle;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => (live.dataset.idle = ''), BLINK_AFTER_MS);
  }

  /** The group that holds the newest committed blocks and the tail (and the caret), made on the first update. */
  private liveGroup(): HTMLElement {
    if (!this.live) {
      this.live = newGroup();
      this.live.dataset.live = '';
      this.element.append(this.live);
    }
    return this.live;
  }

  /**
   * The tail's first `count` nodes are final: they stay where they are and leave the tail. A full group
   * hands the tail (and the caret) to a new one: the tail's few nodes move, once every CHUNK_SIZE blocks.
   */
  private commitTailStart(count: number): void {
    const live = this.live!;
    const nodes = Array.from(live.childNodes).slice(this.committedNodes, this.committedNodes + count);
    this.committedNodes += count;
    const elements = nodes.filter((n): n is Element => n instanceof Element);
    this.committedElements += elements.length;
    this.segments.push(nodes);
    this.onCommitted(elements);
    if (this.committedElements < CHUNK_SIZE) return;
    const next = newGroup();
    next.dataset.live = '';
    if (live.dataset.idle !== undefined) next.dataset.idle = '';
    next.append(...Array.from(live.childNodes).slice(this.committedNodes));
    delete live.dataset.live;
    delete live.dataset.idle;
    live.after(next);
    this.live = next;
    this.committedNodes = 0;
    this.committedElements = 0;
  }

  /** Puts `nodes` where committed segment `index` is, in place of its nodes. */
  private replaceSegment(index: number, nodes: Node[]): void {
    const old = this.segments[index];
    const anchor = old[0] ?? this.segments.slice(index + 1).find((s) => s.length)?.[0];
    const parent = anchor?.parentNode ?? this.live ?? this.element;
    const before = anchor ?? (parent === this.live ? this.tailStart() : null);
    for (const node of nodes) parent.insertBefore(node, before);
    for (const node of old) (node as ChildNode).remove();
    if (parent === this.live) {
      // A segment's nodes are all in the group it was committed to.
      const elements = (list: Node[]) => list.filter((n) => n instanceof Element).length;
      this.committedNodes += nodes.length - old.length;
      this.committedElements += elements(nodes) - elements(old);
    }
    this.segments[index] = nodes;
    this.onCommitted(nodes.filter((n): n is Element => n instanceof Element));
  }
}

function newGroup(): HTMLElement {
  const group = document.createElement('div');
  group.className = 'chunk';
  return group;
}

function parse(html: string): Node[] {
  if (!html) return [];
  const template = document.createElement('template');
  template.innerHTML = html;
  return Array.from(template.content.childNodes);
}
