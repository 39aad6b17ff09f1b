/**
 * Tool calls a model writes into its answer's text instead of the API's tool-call field: a Hermes
 * `<tool_call>{…}</tool_call>` block (Qwen, Hermes and most fine-tunes of them), a whole answer that is one
 * JSON call (Llama 3.x's template asks for exactly that), or a fenced json block holding one. Such text
 * becomes a call and is not shown; everything else is shown as it streams.
 *
 * Streaming makes this a hold-back problem: the start of a line that may open a call is kept until it is
 * clear. It is decided line by line (every shape starts a line), early where a partial parse already rules a
 * call out (an unexpected key, a name no tool starts with), and never past MAX_UNDECIDED characters.
 * Ordinary code blocks are tracked so a tag or JSON inside one is left alone.
 */
import type { ToolCall } from '../../streaming/providers/events';
import { callsOf, couldBeCall, isClearlyCall, parseJson } from './callShape';

const OPEN = '<tool_call>';
const CLOSE = '</tool_call>';

/** The most text held while it is unclear whether it is a call: prose is never delayed by more. */
export const MAX_UNDECIDED = 4 * 1024;
/** The most text of what is clearly a call (a known tool and its arguments begun); beyond it, it is shown. */
export const MAX_CALL = 256 * 1024;

/** Code-block languages a call may be fenced as; any other fence is code. */
const CALL_FENCES = new Set(['', 'json', 'jsonc', 'json5', 'tool_call', 'tool_code']);
const FENCE_LINE = /^( {0,3})(`{3,}|~{3,})(.*)$/;

type Mode = 'head' | 'line' | 'hermes' | 'bare' | 'fence';

interface Fence {
  char: string;
  len: number;
}

export class TextToolCallFilter {
  private held = '';
  private mode: Mode = 'head';
  /** Inside an ordinary code block: nothing in it is a call. */
  private codeFence: Fence | undefined;
  /** The fence (and the length of its opening line) a candidate block is written in. */
  private candidateFence: (Fence & { openLen: number }) | undefined;
  /** The held candidate is known to be a call: only its length bound is checked until it ends. */
  private clear = false;
  /** Something other than white space was shown: a bare JSON call must be the whole answer. */
  private shownText = false;
  private out = '';
  /** A call's text just ended: the line break after it goes with it, also when it arrives later. */
  private afterCall = false;
  private readonly found: ToolCall[] = [];

  /** `names`: the tools offered this turn (bare and fenced JSON must name one of them). */
  constructor(private readonly names: readonly string[]) {}

  /** Whether what is held now is a call being written (a tag, or a known tool's name and arguments). */
  get writingCall(): boolean {
    return this.mode === 'hermes' || ((this.mode === 'bare' || this.mode === 'fence') && this.clear);
  }

  /** Takes the next piece of the answer; returns the text that can be shown now. */
  push(text: string): string {
    this.held += text;
    return this.drain(false);
  }

  /** The answer ended: the rest of the text to show, and the calls found in it, in order. */
  end(): { text: string; calls: ToolCall[] } {
    return { text: this.drain(true), calls: [...this.found] };
  }

  private drain(final: boolean): string {
    this.out = '';
    while (this.step(final));
    return this.out;
  }

  private show(text: string): void {
    this.out += text;
    if (/\S/.test(text)) this.shownText = true;
  }

  /** One move of the state machine; false when it needs more text. */
  private step(final: boolean): boolean {
    switch (this.mode) {
      case 'line': {
        const nl = this.held.indexOf('\n');
        if (nl < 0) {
          this.show(this.held);
          this.held = '';
          return false;
        }
        this.show(this.held.slice(0, nl + 1));
        this.held = this.held.slice(nl + 1);
        this.mode = 'head';
        return true;
      }
      case 'head':
        return this.held !== '' && this.head(final);
      case 'hermes':
        return this.hermes(final);
      case 'bare':
        return this.bare(final);
      case 'fence':
        return this.fenced(final);
    }
  }

  /** The start of a line: decides what it opens, or waits while it could still open a call or a fence. */
  private head(final: boolean): boolean {
    if (this.afterCall) {
      const m = /^[ \t]*(\r?\n)?/.exec(this.held)!;
      if (!m[1] && m[0].length === this.held.length && !final) return false;
      this.afterCall = false;
      if (m[1]) {
        this.held = this.held.slice(m[0].length);
        return true;
      }
    }
    const nl = this.held.indexOf('\n');
    const line = nl < 0 ? this.held : this.held.slice(0, nl);
    const complete = nl >= 0 || final;
    const tooLong = this.held.length > MAX_UNDECIDED;
    const fence = FENCE_LINE.exec(line);
    if (this.codeFence) {
      const open = this.codeFence;
      if (!complete && !tooLong && /^\s*[`~]*\s*$/.test(line)) return false;
      const close = complete && /^\s*(`{3,}|~{3,})\s*$/.exec(line);
      if (close && close[1][0] === open.char && close[1].length >= open.len) this.codeFence = undefined;
      this.mode = 'line';
      return true;
    }
    const start = line.trimStart();
    if (!this.shownText && /^[[{]/.test(start)) return this.enter('bare');
    if (start.startsWith(OPEN)) return this.enter('hermes');
    if (!complete && !tooLong && (OPEN.startsWith(start) || /^ {0,3}(`+|~+)[^`]*$/.test(line))) return false;
    if (fence && complete && !(fence[2][0] === '`' && fence[3].includes('`'))) {
      const kind = { char: fence[2][0], len: fence[2].length };
      if (CALL_FENCES.has(fence[3].trim().toLowerCase())) {
        this.candidateFence = { ...kind, openLen: nl < 0 ? line.length : nl + 1 };
        return this.enter('fence');
      }
      this.codeFence = kind;
    }
    this.mode = 'line';
    return true;
  }

  private enter(mode: Mode): boolean {
    this.mode = mode;
    this.clear = false;
    return true;
  }

  /** Shows the held candidate as the text it turned out to be. */
  private release(text = this.held, rest = ''): boolean {
    this.show(text);
    this.held = rest;
    this.mode = text.endsWith('\n') ? 'head' : 'line';
    return true;
  }

  /** Drops a call's text (and the line break after it) and keeps its calls. */
  private accept(calls: ToolCall[], rest: string): boolean {
    this.found.push(...calls);
    this.held = rest;
    this.afterCall = true;
    this.mode = 'head';
    return true;
  }

  /** Whether a candidate that is not a call yet should be given up on (too long, or cannot become one). */
  private givesUp(json: string): boolean {
    if (this.clear) return this.held.length > MAX_CALL;
    const start = json.trimStart();
    if (start && !/^[[{]/.test(start)) return true;
    const { value } = parseJson(json);
    if (!couldBeCall(value, this.names)) return true;
    this.clear = isClearlyCall(value, this.names);
    return this.held.length > (this.clear ? MAX_CALL : MAX_UNDECIDED);
  }

  private hermes(final: boolean): boolean {
    const open = this.held.indexOf(OPEN);
    const close = this.held.indexOf(CLOSE, open);
    if (close >= 0) {
      const end = close + CLOSE.length;
      const calls = this.finished(this.held.slice(open + OPEN.length, close), true);
      return calls ? this.accept(calls, this.held.slice(end)) : this.release(this.held.slice(0, end), this.held.slice(end));
    }
    const body = this.held.slice(open + OPEN.length);
    if (final) {
      // A model may stop without the closing tag (its stop token came first): the call is still whole.
      const calls = this.finished(body, true);
      return calls ? this.accept(calls, '') : this.release();
    }
    // The tag says it is a call; a name no tool has still becomes a card (it tells the model so) unless long.
    if (!this.clear) {
      const { value } = parseJson(body);
      this.clear = couldBeCall(value, this.names);
    }
    if (this.held.length > (this.clear ? MAX_CALL : MAX_UNDECIDED)) return this.release();
    return false;
  }

  private bare(final: boolean): boolean {
    if (final) {
      const calls = this.finished(this.held, false);
      return calls ? this.accept(calls, '') : this.release();
    }
    return this.givesUp(this.held) ? this.release() : false;
  }

  private fenced(final: boolean): boolean {
    const fence = this.candidateFence!;
    const body = this.held.slice(fence.openLen);
    const closing = new RegExp(`^[ \\t]*(${fence.char === '`' ? '`' : '~'}{${fence.len},})[ \\t]*(\\r?\\n|$)`, 'm');
    const m = closing.exec(body);
    if (m && (m[2] !== '' || final)) {
      const end = fence.openLen + m.index + m[0].length;
      const calls = this.finished(body.slice(0, m.index), false);
      return calls ? this.accept(calls, this.held.slice(end)) : this.release(this.held.slice(0, end), this.held.slice(end));
    }
    if (final) {
      const calls = this.finished(body, false);
      return calls ? this.accept(calls, '') : this.release();
    }
    if (!this.givesUp(body)) return false;
    // Not a call: an ordinary code block from here on, whose closing fence is still to come.
    this.codeFence = { char: fence.char, len: fence.len };
    return this.release();
  }

  private finished(json: string, tagged: boolean): ToolCall[] | undefined {
    const { value, complete } = parseJson(json.trim());
    return complete ? callsOf(value, this.names, tagged) : undefined;
  }
}
