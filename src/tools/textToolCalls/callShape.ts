/**
 * What a tool call written as text looks like, and whether a JSON value (whole or still being written) is
 * one. Models trained on different templates write different shapes: Hermes/Qwen `{"name", "arguments"}`,
 * Llama 3.x `{"name", "parameters"}` (its chat template asks for that), and some wrap it as OpenAI does,
 * `{"type": "function", "function": {…}}`. jsonc-parser reads them, also unfinished (it returns what it has
 * so far), which is what lets a stream decide early that an object is not a call.
 */
import { parse, type ParseError } from 'jsonc-parser/lib/esm/main.js';
import type { ToolCall } from '../../streaming/providers/events';

type Json = Record<string, unknown>;

const CALL_KEYS = new Set(['name', 'arguments', 'parameters', 'type', 'function', 'id']);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The JSON value in `text`, and whether it is complete and well formed. */
export function parseJson(text: string): { value: unknown; complete: boolean } {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  return { value, complete: errors.length === 0 };
}

/** The object that holds name and arguments: the value itself or its OpenAI-style `function`. */
function inner(value: Json): Json {
  return isObject(value.function) ? value.function : value;
}

/**
 * Whether an unfinished value could still become a call to one of `names`: every key is one a call has,
 * and the name written so far starts one of them. Prose-like JSON (`{"name": "Alice", "age": 3}`) fails
 * as soon as its first unexpected key or name arrives.
 */
export function couldBeCall(value: unknown, names: readonly string[]): boolean {
  if (Array.isArray(value)) return value.every((v) => couldBeCall(v, names));
  if (!isObject(value)) return value === undefined; // nothing parsed yet
  if (!Object.keys(value).every((k) => CALL_KEYS.has(k))) return false;
  const fn = inner(value);
  if (fn !== value && !Object.keys(fn).every((k) => CALL_KEYS.has(k))) return false;
  const name = fn.name;
  if (name === undefined) return true;
  return typeof name === 'string' && names.some((n) => n.startsWith(name));
}

/** Whether `value` is clearly a call already: a known name and the arguments begun. */
export function isClearlyCall(value: unknown, names: readonly string[]): boolean {
  const first = Array.isArray(value) ? value[0] : value;
  if (!isObject(first) || !couldBeCall(value, names)) return false;
  const fn = inner(first);
  return typeof fn.name === 'string' && names.includes(fn.name) && ('arguments' in fn || 'parameters' in fn);
}

/**
 * The calls a finished value holds, or undefined when it is not (only) calls. `anyName`: the text was
 * marked as a call (a `<tool_call>` tag), so a name the model made up still becomes a card that tells it
 * the tool does not exist; bare JSON must name a known tool and carry arguments, or it is left as text.
 */
export function callsOf(value: unknown, names: readonly string[], anyName: boolean): ToolCall[] | undefined {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) return undefined;
  const calls: ToolCall[] = [];
  for (const item of list) {
    if (!isObject(item)) return undefined;
    const fn = inner(item);
    const name = fn.name;
    if (typeof name !== 'string' || !name) return undefined;
    const hasArgs = 'arguments' in fn || 'parameters' in fn;
    if (!anyName && (!names.includes(name) || !hasArgs || !couldBeCall(item, names))) return undefined;
    calls.push({ name, arguments: argumentsOf(fn.arguments ?? fn.parameters) });
  }
  return calls;
}

/** Arguments as an object; some models write them as a JSON string (OpenAI's own wire shape). */
function argumentsOf(raw: unknown): ToolCall['arguments'] {
  if (raw === undefined || raw === null) return {};
  if (isObject(raw)) return raw;
  if (typeof raw === 'string') {
    const { value, complete } = parseJson(raw);
    if (complete && isObject(value)) return value;
    return raw;
  }
  return JSON.stringify(raw);
}
