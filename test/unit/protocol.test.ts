import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeDelta, encodeDelta, MAX_WEBVIEW_TEXT, parseWebviewMessage } from '../../src/shared/protocol';

describe('parseWebviewMessage', () => {
  it('accepts each well-formed message', () => {
    for (const m of [
      { type: 'ready' },
      { type: 'send', text: 'hello' },
      { type: 'stop' },
      { type: 'openLink', href: 'https://example.com' },
      { type: 'errorAction', messageId: 'abc', index: 0 },
      { type: 'log', level: 'error', message: 'x' },
      { type: 'setupAction', action: { kind: 'downloadModel', label: 'Download', model: 'Qwen3 0.6B (Q8_0)' } },
      { type: 'setupAction', action: { kind: 'pickModelFile', label: 'Pick a .gguf file…' } },
    ])
      assert.deepEqual(parseWebviewMessage(m), { ok: true, message: m });
  });

  it('rejects wrong shapes, unknown types and oversized text with a reason', () => {
    const bad: unknown[] = [
      null,
      'send',
      [],
      42,
      {},
      { type: 'eval', code: 'x' },
      { type: 'send' },
      { type: 'send', text: 7 },
      { type: 'send', text: '   ' },
      { type: 'send', text: 'x'.repeat(MAX_WEBVIEW_TEXT + 1) },
      { type: 'errorAction', messageId: 'a', index: -1 },
      { type: 'errorAction', messageId: 'a', index: 1.5 },
      { type: 'log', level: 'debug', message: 'x' },
      // A suggested download names its model (the host looks the URL up); without one, or with a long one, it is refused.
      { type: 'setupAction', action: { kind: 'downloadModel', label: 'Download' } },
      { type: 'setupAction', action: { kind: 'downloadModel', label: 'Download', model: 'x'.repeat(201) } },
      { type: '__proto__' },
      { type: 'toString' },
    ];
    for (const m of bad) {
      const r = parseWebviewMessage(m);
      assert.equal(r.ok, false, JSON.stringify(m)?.slice(0, 80));
      assert.ok(!r.ok && r.reason.length > 0);
    }
  });
});

describe('compact deltas', () => {
  it('round-trip any text, colons and newlines included, with a few bytes of overhead', () => {
    for (const [seq, text] of [
      [1, ''],
      [2, 'a:b:c'],
      [1234, '```ts\nconst a = "x";\n'],
      [7, '🚀 ünïcode'],
    ] as const) {
      assert.deepEqual(decodeDelta(encodeDelta(seq, text)), { seq, text });
      assert.ok(JSON.stringify(encodeDelta(seq, text)).length - JSON.stringify(text).length <= 5);
    }
    assert.equal(decodeDelta('no seq'), undefined);
    assert.equal(decodeDelta(':x'), undefined);
    assert.equal(decodeDelta('1.5:x'), undefined);
  });
});
