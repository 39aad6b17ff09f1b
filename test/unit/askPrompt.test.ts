import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { composeQuestion } from '../../src/extension/askPrompt';

describe('composeQuestion', () => {
  it('is the question alone without a selection', () => {
    assert.equal(composeQuestion('Why?'), 'Why?');
    assert.equal(composeQuestion('Why?', { text: '  \n', languageId: 'ts', fileName: 'a.ts', startLine: 1, endLine: 1 }), 'Why?');
  });

  it('adds the selection as a fenced block with its language and file name', () => {
    const text = composeQuestion('What does this do?', { text: 'const x = 1;', languageId: 'typescript', fileName: 'src/a.ts', startLine: 3, endLine: 3 });
    assert.equal(text, 'What does this do?\n\nFrom `src/a.ts` (line 3):\n\n```typescript\nconst x = 1;\n```\n');
  });

  it('fences longer than any backtick run in the selection', () => {
    const text = composeQuestion('Q', { text: 'a\n````\nb\n', languageId: 'markdown', fileName: 'README.md', startLine: 1, endLine: 3 });
    assert.match(text, /\n`````markdown\na\n````\nb\n`````\n$/);
    assert.match(text, /lines 1-3/);
  });
});
