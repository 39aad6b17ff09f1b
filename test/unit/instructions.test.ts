import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_INSTRUCTIONS_CHARS, systemPrompt } from '../../src/streaming/chat/instructions';

describe('systemPrompt', () => {
  it('is nothing without instructions, blank ones included', () => {
    assert.equal(systemPrompt([]), undefined);
    assert.equal(systemPrompt([{ source: 'modelChat.systemPrompt', text: '  \n' }]), undefined);
  });

  it('cuts a huge instructions file, saying so', () => {
    const text = systemPrompt([{ source: 'AGENTS.md', text: 'x'.repeat(MAX_INSTRUCTIONS_CHARS + 500) }])!;
    assert.ok(text.length < MAX_INSTRUCTIONS_CHARS + 200);
    assert.match(text, /\[AGENTS\.md was cut at 16,000 characters\]$/);
  });
});
