/**
 * Hostile input for the stream readers: the real ollama and openai clients behind the line guard, served by
 * the fake servers byte for byte. A stream split at every byte offset, garbage lines spliced in at random
 * (seeded) places, invalid UTF-8 split across writes, 10 MB single lines. Every turn must end (each has a
 * timeout): with the reference text and `done`, or with a 'protocol' error after the text that came first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ProviderError, StreamEvent } from '../../src/streaming/providers/events';
import { createScanner, guardedFetch, guardStream, protocolErrorOf } from '../../src/streaming/wire/lineGuard';
import { StreamProtocolError, type LineFormat } from '../../src/streaming/wire/lineScan';
import { OllamaProvider } from '../../src/streaming/providers/ollama/ollamaProvider';
import { OpenAIProvider } from '../../src/streaming/providers/openai/openaiProvider';
import type { ChatProvider } from '../../src/streaming/providers/provider';
import { answerLines as ollamaLines, doneLine, FakeOllama, type Step } from '../fakes/ollamaServer';
import { answerLines as openaiLines, DONE, FakeOpenAI, finishLine, textLine } from '../fakes/openaiServer';

const messages = [{ role: 'user' as const, content: 'Say hello' }];
const MB10 = 10 * 1024 * 1024;

/** Deterministic PRNG (mulberry32), so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int = (r: () => number, n: number) => Math.floor(r() * n);
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[int(r, xs.length)];

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no end after ${ms} ms (hang)`)), ms))),
  ]);
}

async function collect(provider: ChatProvider, what: string, ms = 5000): Promise<StreamEvent[]> {
  const run = async () => {
    const events: StreamEvent[] = [];
    for await (const e of provider.chat({ model: 'm', messages }, new AbortController().signal)) events.push(e);
    return events;
  };
  return withTimeout(run(), ms, what);
}
const textOf = (events: StreamEvent[]) => events.map((e) => (e.type === 'text' ? e.text : '')).join('');
function protocolError(events: StreamEvent[], what: string): ProviderError {
  const last = events.at(-1);
  assert.ok(last?.type === 'error', `${what}: ends in an error, got ${JSON.stringify(events.slice(-2)).slice(0, 300)}`);
  assert.equal(last.error.kind, 'protocol', `${what}: ${last.error.kind}: ${last.error.message} (${last.error.detail})`);
  assert.ok(!events.some((e) => e.type === 'done'), `${what}: no done`);
  return last.error;
}
function assertDone(events: StreamEvent[], what: string): void {
  assert.deepEqual(events.at(-1), { type: 'done', reason: 'stop' }, `${what}: ends done, got ${JSON.stringify(events.at(-1))}`);
}

/** Two writes, split at `at`, with a pause so they reach the client as two reads. */
const splitAt = (bytes: Buffer, at: number): Step[] => [bytes.subarray(0, at), { delayMs: 1 }, bytes.subarray(at)];

/** Writes split at the given offsets (sorted, deduplicated), pausing between them. */
function splitAtAll(bytes: Buffer, offsets: number[]): Step[] {
  const cuts = [...new Set(offsets)].filter((o) => o > 0 && o < bytes.length).sort((a, b) => a - b);
  const steps: Step[] = [];
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    if (steps.length) steps.push({ delayMs: 1 });
    steps.push(bytes.subarray(prev, c));
    prev = c;
  }
  return steps;
}

/** Both wire formats, driven the same way. */
interface Wire {
  name: string;
  format: LineFormat;
  /** The units of an answer (lines / events), the last being the end marker. */
  units(tokens: string[]): string[];
  /** One unit carrying `content` as raw bytes (for invalid UTF-8). */
  contentUnit(content: Uint8Array): Buffer;
  endUnits(tokens: number): string[];
  provider(): ChatProvider;
  serve(steps: Step[]): void;
  /** A line that is not the format, without its line end. */
  garbage(r: () => number): Buffer;
  lineEnd(r: () => number): string;
}

const ASCII = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 {}[]":,.<>/=-_!?;\'\\|@#$%^&*()';

function randomAscii(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ASCII[int(r, ASCII.length)];
  return s;
}
/** Random bytes without line ends. */
function randomBytes(r: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    let v = int(r, 256);
    while (v === 0x0a || v === 0x0d) v = int(r, 256);
    b[i] = v;
  }
  return b;
}

/** Reference checks, written independently of the guard: does `line` belong to the format? */
function validNdjsonLine(line: Buffer): boolean {
  const text = new TextDecoder().decode(line);
  if (text.trim() === '') return true;
  try {
    const v = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}
function validSseLine(line: Buffer): boolean {
  const text = line.toString('latin1');
  if (text === '' || text.startsWith(':')) return true;
  const colon = text.indexOf(':');
  const field = colon === -1 ? text : text.slice(0, colon);
  return ['data', 'event', 'id', 'retry'].includes(field);
}

function garbageCandidates(r: () => number, units: string[], format: LineFormat): Buffer[] {
  const unit = Buffer.from(pick(r, units).split(/\r?\n/)[0]);
  return [
    Buffer.from('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>'),
    Buffer.from(randomAscii(r, 1 + int(r, 80))),
    randomBytes(r, 1 + int(r, 60)),
    // A line cut short (a spliced body), at least one byte of it.
    unit.subarray(0, 1 + int(r, unit.length - 1)),
    Buffer.from(pick(r, ['42', 'null', '"text"', '[1,2]', 'true', '{not json}', '{"a":', 'Internal Server Error', 'ERROR: model crashed'])),
    // Near misses for SSE: wrong case, a leading space, a field name run on, a bare JSON line.
    Buffer.from(pick(r, ['Data: {"a":1}', ' data: {"a":1}', 'datas: x', 'dat', 'events: x', 'id2: 1', '{"choices":[]}'])),
    ...(format === 'ndjson' ? [Buffer.from('{' + randomAscii(r, int(r, 40)))] : [Buffer.from('d' + randomAscii(r, int(r, 20)))]),
  ];
}

function makeGarbage(r: () => number, units: string[], format: LineFormat): Buffer {
  const valid = format === 'ndjson' ? validNdjsonLine : validSseLine;
  for (;;) {
    const candidate = pick(r, garbageCandidates(r, units, format));
    if (!valid(candidate)) return candidate;
  }
}

const TOKENS = ['Grüße ', '🚀', ' — ', '日本語', ' ok'];
const WORDS = ['alpha ', 'β ', '🙂', 'gamma\n', '"quoted" ', '\\ ', 'δέλτα ', '\t', '終'];

describe('stream readers under hostile input (real clients behind the line guard)', () => {
  const ollama = new FakeOllama();
  const openai = new FakeOpenAI();
  before(async () => {
    await Promise.all([ollama.start(), openai.start()]);
  });
  after(() => Promise.all([ollama.stop(), openai.stop()]));

  const wires: Wire[] = [
    {
      name: 'Ollama NDJSON',
      format: 'ndjson',
      units: (tokens) => ollamaLines('m', tokens),
      contentUnit: (content) => {
        const [before, afterContent] = ollamaLines('m', ['\u0000'])[0].split('\\u0000');
        return Buffer.concat([Buffer.from(before), content, Buffer.from(afterContent)]);
      },
      endUnits: (n) => [doneLine('m', n)],
      provider: () => new OllamaProvider(ollama.url),
      serve: (steps) => (ollama.onChat = () => ({ steps })),
      garbage: (r) => makeGarbage(r, ollamaLines('m', ['x']), 'ndjson'),
      lineEnd: (r) => pick(r, ['\n', '\r\n']),
    },
    {
      name: 'OpenAI SSE',
      format: 'sse',
      // No usage event: keeps the recorded stream to a few hundred bytes.
      units: (tokens) => openaiLines('m', tokens, { usage: false }).slice(1),
      contentUnit: (content) => {
        const [before, afterContent] = textLine('m', '\u0000').split('\\u0000');
        return Buffer.concat([Buffer.from(before), content, Buffer.from(afterContent)]);
      },
      endUnits: () => [finishLine('m'), DONE],
      provider: () => new OpenAIProvider(openai.url),
      serve: (steps) => (openai.onChat = () => ({ steps })),
      garbage: (r) => makeGarbage(r, openaiLines('m', ['x']), 'sse'),
      lineEnd: (r) => pick(r, ['\n', '\r\n', '\r']),
    },
  ];

  for (const wire of wires) {
    describe(wire.name, () => {
      it('gives the reference text and done with the recorded stream split at every byte offset', { timeout: 40_000 }, async () => {
        const bytes = Buffer.from(wire.units(TOKENS).join(''));
        const provider = wire.provider();
        for (let at = 1; at < bytes.length; at++) {
          wire.serve(splitAt(bytes, at));
          const events = await collect(provider, `split at ${at}`);
          assert.equal(textOf(events), TOKENS.join(''), `split at ${at}`);
          assertDone(events, `split at ${at}`);
        }
      });

      it(
        'ends a turn with garbage spliced in at a random place in a protocol error, after the text before it',
        { timeout: 40_000 },
        async () => {
          const seed = 0x5eed + wire.format.length;
          const r = rng(seed);
          const provider = wire.provider();
          for (let round = 0; round < 150; round++) {
            const tokens = Array.from({ length: 1 + int(r, 6) }, () => pick(r, WORDS));
            const units = wire.units(tokens);
            // Before the end marker: after it the answer is complete and nothing more is read.
            const at = int(r, units.length);
            const garbage = Buffer.concat([wire.garbage(r), Buffer.from(wire.lineEnd(r))]);
            const body = Buffer.concat([Buffer.from(units.slice(0, at).join('')), garbage, Buffer.from(units.slice(at).join(''))]);
            const cuts = Array.from({ length: int(r, 4) }, () => 1 + int(r, body.length - 1));
            wire.serve(splitAtAll(body, cuts));
            const what = `seed ${seed} round ${round}: garbage ${JSON.stringify(garbage.toString('latin1')).slice(0, 80)} before unit ${at}/${units.length}, cuts ${cuts}`;
            const events = await collect(provider, what);
            const error = protocolError(events, what);
            assert.ok(
              error.message.includes(wire.name.startsWith('Ollama') ? ollama.url : openai.url),
              `${what}: the message names the endpoint: ${error.message}`,
            );
            // Unit i < at carries token i - (units before the tokens): for both wires, tokens start at unit 0.
            assert.equal(textOf(events), tokens.slice(0, Math.min(at, tokens.length)).join(''), what);
          }
        },
      );

      it('decodes invalid UTF-8 split across writes with replacement characters', { timeout: 40_000 }, async () => {
        // A cut 3-byte sequence, a whole emoji, a lone continuation byte, 0xFF, a cut 4-byte sequence, a cut 2-byte one before the quote.
        const content = Buffer.from([0x41, 0xe6, 0x97, 0x42, 0xf0, 0x9f, 0x9a, 0x80, 0x80, 0x43, 0xff, 0xf0, 0x9f, 0x9a, 0x44, 0xc3]);
        const expected = new TextDecoder().decode(content);
        assert.ok(expected.includes('\ufffd') && expected.includes('🚀'));
        const unit = wire.contentUnit(content);
        const bytes = Buffer.concat([unit, Buffer.from(wire.endUnits(1).join(''))]);
        const provider = wire.provider();
        const start = unit.indexOf(content);
        // Every offset inside the invalid bytes and around them.
        for (let at = start - 2; at <= start + content.length + 2; at++) {
          wire.serve(splitAt(bytes, at));
          const events = await collect(provider, `split at ${at}`);
          assert.equal(textOf(events), expected, `split at ${at}`);
          assertDone(events, `split at ${at}`);
        }
      });

      it('streams a 10 MB single line (JSON with a huge string) in reasonable time', { timeout: 30_000 }, async () => {
        const huge = 'Ωmega '.repeat(Math.ceil(MB10 / 7)).slice(0, MB10 / 2) + 'x'.repeat(MB10 / 2);
        const bytes = Buffer.from([...wire.units(['first ']).slice(0, 1), ...wire.units([huge]).slice(0, 1), ...wire.endUnits(2)].join(''));
        assert.ok(bytes.length > MB10);
        wire.serve([bytes]);
        const started = performance.now();
        const events = await collect(wire.provider(), '10 MB line', 20_000);
        const ms = performance.now() - started;
        assertDone(events, '10 MB line');
        const text = textOf(events);
        assert.equal(text.length, 'first '.length + huge.length);
        assert.ok(text === 'first ' + huge, 'the text arrives intact');
        assert.ok(ms < 10_000, `took ${Math.round(ms)} ms`);
      });

      it(
        'ends a 10 MB garbage line in a protocol error, whether it fails at its first byte or only at its end',
        { timeout: 30_000 },
        async () => {
          const garbageLines = [
            'x'.repeat(MB10),
            // Starts like the real thing and never closes: only the end of the line (NDJSON) or the SDK's JSON.parse (SSE) tells.
            wire.format === 'ndjson'
              ? '{"model":"m","message":{"role":"assistant","content":"' + 'y'.repeat(MB10)
              : 'data: {"choices":[{"index":0,"delta":{"content":"' + 'y'.repeat(MB10) + '\n',
          ];
          for (const garbage of garbageLines) {
            const units = wire.units(['kept ', 'also kept ']);
            const bytes = Buffer.from([units[0], units[1], garbage, '\n', ...units.slice(2)].join(''));
            wire.serve(splitAtAll(bytes, [units[0].length + 3, units[0].length + units[1].length + 5, bytes.length - 100]));
            const started = performance.now();
            const events = await collect(wire.provider(), `10 MB garbage ${garbage.slice(0, 20)}`, 20_000);
            const ms = performance.now() - started;
            protocolError(events, '10 MB garbage');
            assert.equal(textOf(events), 'kept also kept ');
            assert.ok(ms < 10_000, `took ${Math.round(ms)} ms`);
          }
        },
      );
    });
  }
});

describe('line guard alone (deterministic chunking)', () => {
  const enc = new TextEncoder();

  function scanAll(format: LineFormat, bytes: Uint8Array, cuts: number[]): { out: Buffer; error?: StreamProtocolError } {
    const scanner = createScanner({ format, url: 'http://example.test' });
    const out: Uint8Array[] = [];
    let prev = 0;
    for (const at of [...cuts, bytes.length]) {
      const { out: o, error } = scanner.push(bytes.subarray(prev, at));
      out.push(...o);
      if (error) return { out: Buffer.concat(out), error };
      prev = at;
    }
    const { out: o, error } = scanner.end();
    out.push(...o);
    return { out: Buffer.concat(out), error };
  }

  const samples: Array<[LineFormat, string]> = [
    ['ndjson', ollamaLines('m', TOKENS).join('')],
    ['ndjson', '\ufeff{"a":1}\n  \n\t{"b":"\u00e9\\n"}  \r\n{"c":[1,{"d":2}]}'],
    ['sse', openaiLines('m', TOKENS).join('')],
    ['sse', '\ufeff: keep-alive\r\nevent: message\rid: 7\nretry: 100\ndata\n\ndata: {"a":1}\r\n\r\n'],
  ];

  it('hands on every byte unchanged for every pair of cut points', () => {
    for (const [format, text] of samples) {
      const bytes = enc.encode(text);
      const step = bytes.length > 200 ? 13 : 1;
      for (let i = 0; i <= bytes.length; i++) {
        for (let j = i; j <= bytes.length; j += step) {
          const { out, error } = scanAll(format, bytes, [i, j]);
          assert.equal(error, undefined, `${format} cuts ${i},${j}: ${error?.message}`);
          assert.ok(out.equals(bytes), `${format} cuts ${i},${j}`);
        }
      }
    }
  });

  it('stops at the bad line, for every cut point, handing on exactly the lines before it', () => {
    const cases: Array<[LineFormat, string, string]> = [
      ['ndjson', '{"a":1}\n{"b":2}\n', '<html>\n{"c":3}\n'],
      ['ndjson', '{"a":1}\n', '{"b":2} trailing\n{"c":3}\n'],
      ['ndjson', '{"a":1}\n', '[1]\n'],
      ['ndjson', '{"a":1}\n', '{"cut'],
      ['sse', 'data: {"a":1}\n\n: c\n', 'garbage\ndata: {"b":2}\n\n'],
      ['sse', 'data: {"a":1}\r\n\r\n', 'datum: 1\r\n\r\n'],
      ['sse', 'data: {"a":1}\r\r', '{"choices":[]}\r\r'],
      ['sse', 'data: {"a":1}\n\n', 'dat'],
    ];
    for (const [format, good, bad] of cases) {
      const bytes = enc.encode(good + bad);
      for (let i = 0; i <= bytes.length; i++) {
        const { out, error } = scanAll(format, bytes, [i]);
        assert.ok(error instanceof StreamProtocolError, `${format} ${JSON.stringify(bad)} cut ${i}: an error`);
        assert.equal(error.lineNumber, good.split(/\r\n|\r|\n/).length, `${JSON.stringify(bad)} cut ${i}: line number`);
        assert.equal(error.byteOffset, enc.encode(good).length);
        // Every line before the bad one went through. Of the bad line, NDJSON hands on nothing; SSE at most the
        // few bytes of a field name that were still a valid prefix at a cut, and never its line end.
        const what = `${format} ${JSON.stringify(bad)} cut ${i}: handed on ${JSON.stringify(out.toString())}`;
        assert.ok(out.subarray(0, good.length).equals(Buffer.from(good)), what);
        const extra = out.subarray(good.length);
        if (format === 'ndjson') assert.equal(extra.length, 0, what);
        else assert.ok(extra.length <= 5 && !extra.includes(0x0a) && !extra.includes(0x0d), what);
      }
    }
  });

  it('delivers the good lines before erroring the stream, and cancels the source', async () => {
    let cancelled: unknown;
    const source = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc.encode('{"a":1}\n{"b":'));
        c.enqueue(enc.encode('2}\nnot json\n{"c":3}\n'));
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    const reader = guardStream(source, { format: 'ndjson', url: 'http://example.test' }).getReader();
    const got: string[] = [];
    const dec = new TextDecoder();
    await assert.rejects(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          got.push(dec.decode(value));
        }
      })(),
      (err: unknown) => err instanceof StreamProtocolError && err.lineNumber === 3 && err.preview === '"not json"',
    );
    assert.equal(got.join(''), '{"a":1}\n{"b":2}\n');
    assert.ok(cancelled instanceof StreamProtocolError, 'the source (the connection) was cancelled');
  });

  it('rejects an NDJSON line longer than the limit without waiting for its end', () => {
    const scanner = createScanner({ format: 'ndjson', url: 'http://example.test', maxLineBytes: 1000 });
    assert.equal(scanner.push(enc.encode('{"a":"' + 'x'.repeat(600))).error, undefined);
    assert.equal(scanner.push(enc.encode('x'.repeat(600))).error?.problem, 'tooLong');
    const sse = createScanner({ format: 'sse', url: 'http://example.test', maxLineBytes: 1000 });
    assert.equal(sse.push(enc.encode('data: ' + 'x'.repeat(990))).error, undefined);
    assert.equal(sse.push(enc.encode('x'.repeat(10))).error?.problem, 'tooLong');
  });

  it('guardedFetch guards only the paths it is told to, keeps the url, and protocolErrorOf finds the error inside a wrapper', async () => {
    const body = '{"a":1}\n<html>502 Bad Gateway</html>\n';
    const base = (async (input: string | URL | Request) => {
      const response = new Response(body, { status: 200, headers: { 'content-type': 'application/x-ndjson' } });
      Object.defineProperty(response, 'url', { value: String(input) });
      return response;
    }) as typeof fetch;
    const guarded = guardedFetch(base, { format: 'ndjson', url: 'http://example.test' }, (p) => p === '/api/chat');

    assert.equal(await (await guarded('http://example.test/api/tags')).text(), body, 'other paths pass unguarded');
    const response = await guarded('http://example.test/api/chat');
    assert.equal(response.url, 'http://example.test/api/chat');
    const err = await response.text().then(
      () => undefined,
      (e: unknown) => e,
    );
    const found = protocolErrorOf(new Error('the client failed', { cause: new Error('wrapped', { cause: err }) }));
    assert.ok(found instanceof StreamProtocolError);
    assert.equal(found.summary, 'line 2 is not JSON');
    assert.equal(protocolErrorOf(new Error('ECONNRESET')), undefined);
    assert.equal(protocolErrorOf(undefined), undefined);
  });
});
