import type { Markdown } from './markdown';
import { fillIncomplete } from './tailFill';

/** What the view must do to its DOM after an append. */
export interface RenderUpdate {
  /**
   * Committed segments whose HTML changed (reference definitions appeared or changed: earlier links may
   * follow them), by index: replace those first. Segment i is the i-th non-empty `commit`.
   */
  replace?: Array<{ segment: number; html: string }>;
  /** HTML of blocks that just became final: appended after the committed ones as the next segment. */
  commit: string;
  /** New HTML for the unfinished tail; undefined when the tail only grew inside its open code fence. */
  tail?: string;
  /** Text to append to the code of the open fence that ends the tail. */
  fenceText?: string;
  /** Set when the tail is one paragraph of plain text (`tail` is then `<p>` this `</p>\n`): no HTML to parse. */
  plainTail?: string;
}

type Token = ReturnType<Markdown['parse']>[number];
type Env = NonNullable<Parameters<Markdown['parse']>[1]>;
type References = NonNullable<Env['references']>;

/**
 * Streams markdown into HTML with work per update bounded by the unfinished tail, not the answer.
 *
 * The answer is split into top-level blocks. A block is final once the first line of the block after it is
 * complete: a new line can reinterpret or join only the block right before it (a setext underline, a table
 * separator, `2.` continuing a list, a lazy continuation), and while the next block's first line is still
 * being written it can still turn out to belong to this one (`2` growing into `2. item` after a list, `-`
 * into a setext underline). No blank line is required after it: `## Title` directly followed by text is the
 * common case in model output. (The rule was "once two more blocks follow it": the tail then held a third
 * more text, parsed again at every update.) The CommonMark spec examples, streamed character by character
 * with this invariant checked at every step, and every Markdown file in node_modules (test/webview/corpus),
 * are the proof.
 *
 * Final blocks are rendered once; only the tail is re-parsed, with its unfinished inline syntax filled in.
 * Inside an open fence, new text is simply appended to the code. Reference-style definitions can change
 * links anywhere: those in committed text are handed to every tail parse, and whenever the set of
 * definitions changes (a new one, or one still being written) every committed segment is rendered again, and
 * those whose HTML changed are replaced (a README's badges at the top follow the definitions at its end; the
 * rest of the answer stays as it is). Answers without definitions never pay.
 */
export class IncrementalMarkdown {
  /**
   * The text is kept in pieces, never as one string: `source += text` followed by any search or slice
   * flattened the whole answer into a fresh copy at every update (a 130 KB answer is 260 KB of UTF-16, 20
   * times a second), and in the webview that garbage lands in the heap it shares with VS Code's workbench,
   * whose major collections then stall both (the long tasks of bench/editorLongTasks.ts).
   */
  private tail = '';
  /** The tail's text after its last line break (the tail always starts at a line start). */
  private lastLine = '';
  /** Committed text not yet in a segment (definitions only, rendering to nothing): it joins the next one. */
  private unsegmented = '';
  /** The whole text, joined on demand and kept until the next commit. */
  private joined: string | undefined;
  /**
   * While the tail ends in an open, unindented top-level fence whose opening line is complete: the offset
   * in the tail up to which its code is rendered. markdown-it leaves out a last line of only spaces, so
   * this can trail the end of the tail.
   */
  private fenceRendered: number | undefined;
  /** Reference definitions in committed text (markdown-it's env.references), for the tail's links. */
  private committedRefs: References = {};
  /** Every definition the last render knew of, to notice when one appears or changes. */
  private refsSeen: References = {};
  /**
   * Each non-empty commit: its text and its HTML. A commit that renders to nothing (only definitions)
   * extends the segment before it.
   */
  private readonly segments: Array<{ text: string; html: string; labels: string }> = [];
  /** A `\r` that ended the last chunk: whether it starts a `\r\n` is known only with the next one. */
  private pendingCR = false;

  constructor(private readonly md: Markdown) {}

  get text(): string {
    this.joined ??= this.segments.map((s) => s.text).join('') + this.unsegmented;
    return this.joined + this.tail;
  }

  /** The part of the text still in the tail (for tests and benchmarks). */
  get tailText(): string {
    return this.tail;
  }

  append(text: string): RenderUpdate {
    const added = this.normalize(text);
    const lastLine = this.lastLine;
    this.addToTail(added);
    if (this.fenceRendered !== undefined && !/(^|\n) {0,3}[`~]/.test(lastLine + added)) {
      // Still inside the fence (no line that could grow into a closing fence): extend the code. Only the new
      // text and the last line are looked at: the tail itself is not flattened.
      const end = this.renderedEnd();
      const before = this.tail.length - added.length;
      const unrendered = lastLine.slice(lastLine.length - (before - this.fenceRendered));
      const fenceText = (unrendered + added).slice(0, end - this.fenceRendered);
      this.fenceRendered = end;
      return { commit: '', fenceText };
    }
    return this.rerender(true);
  }

  /** The final form: exactly what markdown-it renders for the whole text, given the committed part. */
  finish(): RenderUpdate {
    if (this.pendingCR) this.addToTail('\n');
    this.pendingCR = false;
    return this.rerender(false);
  }

  private addToTail(text: string): void {
    this.tail += text;
    const newline = text.lastIndexOf('\n');
    this.lastLine = newline < 0 ? this.lastLine + text : text.slice(newline + 1);
  }

  /** Where markdown-it's render of an open fence ends: before a last line of only spaces and tabs. */
  private renderedEnd(): number {
    return this.lastLine && /^[ \t]+$/.test(this.lastLine) ? this.tail.length - this.lastLine.length : this.tail.length;
  }

  /** Line endings and NULs as markdown-it normalises them, so offsets and fences agree with its parse. */
  private normalize(text: string): string {
    let t = this.pendingCR ? `\r${text}` : text;
    this.pendingCR = t.endsWith('\r');
    if (this.pendingCR) t = t.slice(0, -1);
    return t.replace(/\r\n?/g, '\n').replace(/\0/g, '\uFFFD');
  }

  private rerender(streaming: boolean): RenderUpdate {
    const plain = streaming ? plainParagraph(this.tail) : undefined;
    if (plain !== undefined) return this.plainUpdate(plain);
    const env: Env = { references: { ...this.committedRefs } };
    const tailText = this.tail;
    const tokens = this.md.parse(tailText, env);
    const refs = env.references ?? {};
    const replace = this.followRefs(refs);

    // Token line maps are relative to `tailText`: decide this before any of it is committed.
    const openFence = endsInOpenFence(tailText, tokens);
    const starts = blockStarts(tokens);
    const lines = lineOffsets(tailText);
    let final = 0;
    if (streaming) {
      const firstLineDone = (block: number) => tailText.indexOf('\n', lines[tokens[starts[block]].map![0]]) !== -1;
      while (final + 1 < starts.length && firstLineDone(final + 1)) final++;
    } else {
      final = starts.length;
    }
    if (final > 0) {
      const end = final < starts.length ? starts[final] : tokens.length;
      const commit = this.md.renderer.render(tokens.slice(0, end), this.md.options, env);
      const consumed = final < starts.length ? lines[tokens[starts[final]].map![0]] : tailText.length;
      this.commitText(tailText.slice(0, consumed), commit);
      if (Object.keys(refs).length) this.collectRefs(tailText.slice(0, consumed));
      if (!streaming) return { replace, commit, tail: '' };
      return this.finishUpdate(replace, commit, tailText.slice(consumed), streaming, tokens.slice(starts[final]), env, openFence);
    }
    return this.finishUpdate(replace, '', tailText, streaming, tokens, env, openFence);
  }

  /**
   * The tail is one line of plain words: its render is known without markdown-it (the first tokens of most
   * answers, where a parse and an HTML parse were most of the page's work on the way to the first token).
   * Only the definitions the tail may have held before are checked, as the full path would.
   */
  private plainUpdate(text: string): RenderUpdate {
    const replace = this.followRefs(this.committedRefs);
    this.fenceRendered = undefined;
    return { replace, commit: '', tail: `<p>${text}</p>\n`, plainTail: text };
  }

  /** When the definitions known now differ from the last render's, the committed segments whose links change. */
  private followRefs(refs: References): RenderUpdate['replace'] {
    const changed = changedLabels(this.refsSeen, refs);
    if (!changed.length) return undefined;
    this.refsSeen = detachedRefs(refs);
    return this.rerenderSegments(refs, changed);
  }

  /**
   * Renders again, with `references`, the committed segments that may use one of `labels` (a changelog
   * defines hundreds, one by one: rendering the whole answer for each made streaming it quadratic);
   * returns those whose HTML changed.
   */
  private rerenderSegments(references: References, labels: string[]): RenderUpdate['replace'] {
    const changed: NonNullable<RenderUpdate['replace']> = [];
    // A block that uses a label has it verbatim between brackets (`[label]`, `[text][label]`), and normalising
    // (whitespace runs to one space, case mapped character by character) keeps it there: the normalised text
    // shows which blocks can change. A bare `label` would match most blocks for a label like `p`.
    const usages = labels.flatMap((label) => [`[${label}]`, `[ ${label}]`, `[${label} ]`, `[ ${label} ]`]);
    this.segments.forEach((segment, index) => {
      if (!usages.some((usage) => segment.labels.includes(usage))) return;
      const html = this.md.render(segment.text, { references: { ...references } });
      if (html === segment.html) return;
      segment.html = detached(html);
      changed.push({ segment: index, html });
    });
    return changed.length ? changed : undefined;
  }

  /** Moves the tail's first `text.length` characters, rendered as `html`, into the committed segments. */
  private commitText(text: string, html: string): void {
    this.tail = this.tail.slice(text.length);
    if (!this.tail) this.lastLine = '';
    this.joined = undefined;
    const piece = detached(text);
    if (html) {
      const segmentText = this.unsegmented + piece;
      this.segments.push({ text: segmentText, html: detached(html), labels: this.labelsOf(segmentText) });
      this.unsegmented = '';
    } else if (this.segments.length) {
      const last = this.segments[this.segments.length - 1];
      last.text += piece;
      last.labels = this.labelsOf(last.text);
    } else {
      this.unsegmented += piece;
    }
  }

  /**
   * A segment's text normalised as reference labels are, to find the segments a definition can change. Made
   * as each is committed (tens of microseconds): made on a definition's first appearance, for every segment
   * at once, it was a burst of 5-14 ms at a point of the answer that was already the costliest to draw.
   * Text without a `[` uses no label.
   */
  private labelsOf(text: string): string {
    return text.includes('[') ? this.md.utils.normalizeReference(text) : '';
  }

  /** Adds the definitions in newly committed text to those handed to later tail parses. */
  private collectRefs(text: string): void {
    const env: Env = { references: { ...this.committedRefs } };
    this.md.parse(text, env);
    this.committedRefs = detachedRefs(env.references ?? {});
  }

  /** Renders the tail (filled in while streaming) and notes whether it ends in an open fence. */
  private finishUpdate(
    replace: RenderUpdate['replace'],
    commit: string,
    tail: string,
    streaming: boolean,
    tokens: Token[],
    env: Env,
    openFence: boolean,
  ): RenderUpdate {
    if (!streaming) {
      this.fenceRendered = undefined;
      const rest = this.md.renderer.render(tokens, this.md.options, env);
      this.commitText(tail, rest);
      return { replace, commit: commit + rest, tail: '' };
    }
    const filled = fillIncomplete(tail);
    const html =
      filled === tail
        ? this.md.renderer.render(tokens, this.md.options, env)
        : this.md.render(filled, { references: { ...this.committedRefs } });
    this.fenceRendered = openFence ? this.renderedEnd() : undefined;
    return { replace, commit, tail: html };
  }
}

/**
 * A copy of `text` that shares no memory with other strings. V8 keeps a substring as a view into the string
 * it was cut from, and the rendered HTML is made of pieces cut from the text as it was at that update (a
 * fresh flat copy each time text is appended): a kept HTML string kept a copy of the whole text alive,
 * one per commit (64 MB after a 55k-token answer, when the whole answer was one string). Flattening a
 * concatenation copies the characters.
 */
function detached(text: string): string {
  return ` ${text}`.slice(1);
}

/**
 * Words, digits, spaces and a little punctuation, starting with a letter or digit, on one line: markdown-it
 * (with linkify) renders that as one paragraph of the text itself, trailing spaces dropped, and the fill-in
 * leaves it alone. Anything that could be syntax, an entity, a link or a domain (`.`, `:`, `@`, `/`) takes
 * the full path. Returns the paragraph's text, or undefined.
 */
export function plainParagraph(tail: string): string | undefined {
  if (tail.length > 200 || !PLAIN_LINE.test(tail)) return undefined;
  return tail.trimEnd();
}

const PLAIN_LINE = /^[\p{L}\p{N}][\p{L}\p{N} ,;'?!-]*$/u;

/** Definitions whose strings are `detached`: they are kept for the rest of the answer. */
function detachedRefs(refs: References): References {
  const copy: References = {};
  for (const [label, ref] of Object.entries(refs)) copy[detached(label)] = { href: detached(ref.href), title: detached(ref.title) };
  return copy;
}

/** Labels defined, dropped or defined differently in `after` than in `before` (markdown-it's normalised keys). */
function changedLabels(before: References, after: References): string[] {
  const changed: string[] = [];
  for (const [label, ref] of Object.entries(after)) {
    const was = before[label];
    if (!was || was.href !== ref.href || was.title !== ref.title) changed.push(label);
  }
  for (const label of Object.keys(before)) if (!(label in after)) changed.push(label);
  return changed;
}

/** Indices of the tokens that start a top-level block. */
function blockStarts(tokens: Token[]): number[] {
  const starts: number[] = [];
  tokens.forEach((t, i) => {
    if (t.level === 0 && t.nesting >= 0 && t.map) starts.push(i);
  });
  return starts;
}

/** Offset of the start of each line (one extra entry for the end). */
function lineOffsets(text: string): number[] {
  const offsets = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) offsets.push(i + 1);
  offsets.push(text.length);
  return offsets;
}

/**
 * True when the last block is a fence at column 0 with no closing line yet and its opening line
 * complete: then new text only extends its code (markdown-it strips an indented opener's indentation
 * from each line, so those take the slow path).
 */
function endsInOpenFence(tail: string, tokens: Token[]): boolean {
  const last = tokens[tokens.length - 1];
  if (!last || last.type !== 'fence' || last.level !== 0 || !last.map) return false;
  const lines = lineOffsets(tail);
  const opener = tail.slice(lines[last.map[0]], lines[last.map[0] + 1]);
  if (!/^[`~]/.test(opener) || !opener.endsWith('\n')) return false;
  // Closed if its last line is a closing fence of the same kind, at least as long.
  const fence = /^([`~]+)/.exec(opener)![1];
  const lastLine = tail.slice(lines[last.map[1] - 1], lines[last.map[1]]).replace(/\n$/, '');
  if (last.map[1] - 1 > last.map[0] && new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`).test(lastLine))
    return false;
  return true;
}
