import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerMetrics } from '../../src/streaming/chat/answerInfo';

describe('answerMetrics: tokens per second is a speed the user saw', () => {
  it("uses the server's eval time when it reports one", () => {
    assert.equal(answerMetrics(0, 100, 200, { completionTokens: 40, evalDurationNs: 2e9 })?.tokensPerSecond, 20);
  });

  it('measures first to last token otherwise', () => {
    assert.equal(answerMetrics(0, 1000, 3000, { completionTokens: 100 })?.tokensPerSecond, 50);
  });

  it('leaves out reasoning that was counted but never streamed (OpenAI o-series)', () => {
    const metrics = answerMetrics(0, 1000, 3000, { completionTokens: 300, reasoningTokens: 200, hiddenReasoning: true });
    assert.equal(metrics?.tokensPerSecond, 50);
    assert.equal(metrics?.completionTokens, 300, 'the count itself stays what the server billed');
  });

  it('counts streamed reasoning (DeepSeek, OpenRouter): it arrived between first and last token', () => {
    assert.equal(answerMetrics(0, 1000, 3000, { completionTokens: 300, reasoningTokens: 200 })?.tokensPerSecond, 150);
  });

  it('gives no rate for an answer that arrived in one read (a blink is not a speed)', () => {
    const metrics = answerMetrics(0, 1000, 1003, { completionTokens: 205 });
    assert.equal(metrics?.tokensPerSecond, undefined);
    assert.equal(metrics?.completionTokens, 205);
  });
});
