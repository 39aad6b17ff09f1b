import type { ToolCall } from '../events';
import { parseArguments } from '../toolArguments';

/**
 * A tool-call fragment as OpenAI-compatible servers really send it in `choices[0].delta.tool_calls[]`.
 * The SDK types say `index` is always there; in practice some servers omit `index` or `type`, repeat `id`
 * on every delta, or send whole calls one per delta.
 */
export interface ToolCallFragment {
  index?: number;
  id?: string | null;
  type?: string | null;
  function?: { name?: string | null; arguments?: unknown } | null;
  /** Anything else a provider puts on a call (Gemini: `extra_content.google.thought_signature`). */
  [field: string]: unknown;
}

/** The fields of a fragment the accumulator understands; every other one is the provider's own. */
const KNOWN_FIELDS = new Set(['index', 'id', 'type', 'function']);

interface Slot {
  id?: string;
  name: string;
  args: string;
  extra?: Record<string, unknown>;
}

/**
 * Joins tool-call fragments into whole calls. Arguments stay raw text until `finish()`, because a fragment
 * boundary can fall anywhere, even inside a string or an escape.
 */
export class ToolCallAccumulator {
  private readonly slots: Slot[] = [];
  /** For servers that omit `index`: which call the fragment at each array position last belonged to. */
  private readonly byPosition: number[] = [];

  get size(): number {
    return this.slots.filter(Boolean).length;
  }

  add(fragments: readonly ToolCallFragment[]): void {
    fragments.forEach((f, position) => {
      const at = this.slotFor(f, position);
      const slot = (this.slots[at] ??= { name: '', args: '' });
      // An id repeated on every delta is the same id: keep the first.
      if (f.id && !slot.id) slot.id = f.id;
      // Names come whole (once, or repeated): assigning rather than appending survives repetition.
      if (f.function?.name) slot.name = f.function.name;
      const args = f.function?.arguments;
      if (typeof args === 'string') slot.args += args;
      // A few servers send the arguments as an object instead of JSON text.
      else if (args && typeof args === 'object') slot.args += JSON.stringify(args);
      // Kept as received, to be sent back: the latest value of a field wins (servers send them once).
      for (const [field, value] of Object.entries(f)) {
        if (!KNOWN_FIELDS.has(field) && value !== undefined && value !== null) (slot.extra ??= {})[field] = value;
      }
    });
  }

  /** The whole calls, in index order, with arguments parsed; invalid JSON stays a string for the model to see. */
  finish(): ToolCall[] {
    return this.slots.filter(Boolean).map((s) => {
      const parsed = parseArguments(s.args);
      return {
        ...(s.id ? { id: s.id } : {}),
        name: s.name,
        arguments: 'value' in parsed ? parsed.value : s.args,
        ...(s.extra ? { extra: s.extra } : {}),
      };
    });
  }

  private slotFor(f: ToolCallFragment, position: number): number {
    if (typeof f.index === 'number' && f.index >= 0) return f.index;
    // No index: a known id means that call, a new id means a new call (servers that send one whole call per
    // delta, always at position 0); no id means "the call last seen at this position".
    let at: number;
    if (f.id) {
      const known = this.slots.findIndex((s) => s?.id === f.id);
      at = known >= 0 ? known : this.slots.length;
    } else {
      at = this.byPosition[position] ?? this.slots.length;
    }
    this.byPosition[position] = at;
    return at;
  }
}
