import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_WEBVIEW_TEXT, parseWebviewMessage } from '../../src/shared/protocol';

describe('parseWebviewMessage', () => {
  it('accepts each well-formed message', () => {
    for (const m of [
      { type: 'ready' },
      { type: 'send', text: 'hello' },
      { type: 'stop' },
      { type: 'openLink', href: 'https://example.com' },
      { type: 'errorAction', messageId: 'abc', index: 0 },
      { type: 'log', level: 'error', message: 'x' },
    ]) assert.deepEqual(parseWebviewMessage(m), { ok: true, message: m });
  });

  it('rejects wrong shapes, unknown types and oversized text with a reason', () => {
    const bad: unknown[] = [
      null, 'send', [], 42, {}, { type: 'eval', code: 'x' }, { type: 'send' }, { type: 'send', text: 7 }, { type: 'send', text: '   ' },
      { type: 'send', text: 'x'.repeat(MAX_WEBVIEW_TEXT + 1) }, { type: 'errorAction', messageId: 'a', index: -1 },
      { type: 'errorAction', messageId: 'a', index: 1.5 }, { type: 'log', level: 'debug', message: 'x' }, { type: '__proto__' }, { type: 'toString' },
    ];
    for (const m of bad) {
      const r = parseWebviewMessage(m);
      assert.equal(r.ok, false, JSON.stringify(m)?.slice(0, 80));
      assert.ok(!r.ok && r.reason.length > 0);
    }
  });
});
