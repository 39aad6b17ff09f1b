import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chipLabel,
  countLines,
  decodeText,
  fileAttachment,
  MAX_ATTACHMENT_CHARS,
  problemsAttachment,
  selectionAttachment,
  textFileAttachment,
  userContent,
  type ContextAttachment,
  type Problem,
} from '../../src/streaming/chat/contextPrompt';
import { estimateTokens } from '../../src/shared/tokens';

const bytes = (text: string) => new TextEncoder().encode(text);

function attach(input: Parameters<typeof fileAttachment>[0], limits?: Parameters<typeof fileAttachment>[1]): ContextAttachment {
  const result = fileAttachment(input, limits);
  assert.ok(result.ok, `refused: ${!result.ok && result.reason}`);
  return result.attachment;
}

describe('estimateTokens', () => {
  it('is a quarter of the characters, rounded up', () => {
    assert.equal(estimateTokens(''), 0);
    assert.equal(estimateTokens('abc'), 1);
    assert.equal(estimateTokens('abcd'), 1);
    assert.equal(estimateTokens('abcde'), 2);
    assert.equal(estimateTokens('x'.repeat(48_000)), 12_000);
  });
});

describe('userContent', () => {
  it('is exactly the question without attachments', () => {
    assert.equal(userContent('Why?', []), 'Why?');
  });

  it("puts every attachment's block, in order, before the question", () => {
    const a = attach({ label: 'a.ts', detail: 'src/a.ts', bytes: bytes('const a = 1;\n'), languageId: 'typescript' });
    const s = selectionAttachment({
      label: 'b.py:2-3',
      detail: 'lib/b.py',
      text: '    x = 1\n    y = 2\n',
      languageId: 'python',
      startLine: 2,
      endLine: 3,
    });
    assert.equal(
      userContent('What do these do?', [a, s]),
      'File: src/a.ts\n```typescript\nconst a = 1;\n```\n\n' +
        'Selection: lib/b.py (lines 2-3)\n```python\n    x = 1\n    y = 2\n```\n\n' +
        'What do these do?',
    );
  });
});

describe('fileAttachment', () => {
  it('gives the file as a fenced block headed by its path, with the estimate of exactly that text', () => {
    const a = attach({ label: 'a.ts', detail: 'src/a.ts', bytes: bytes('let x = 1;\nlet y = 2;') });
    assert.equal(a.text, 'File: src/a.ts\n```ts\nlet x = 1;\nlet y = 2;\n```');
    assert.equal(a.kind, 'file');
    assert.equal(a.label, 'a.ts');
    assert.equal(a.detail, 'src/a.ts');
    assert.equal(a.tokens, estimateTokens(a.text));
    assert.equal(a.note, undefined);
    assert.deepEqual(chipLabel(a), { kind: 'file', label: 'a.ts', tokens: a.tokens });
  });

  it('heads the active file as such', () => {
    const a = attach({ label: 'a.md', detail: 'docs/a.md', bytes: bytes('# Hi\n'), languageId: 'markdown', kind: 'activeFile' });
    assert.equal(a.text, 'Active file: docs/a.md\n```markdown\n# Hi\n```');
    assert.equal(a.kind, 'activeFile');
  });

  it('fences longer than any run of backticks inside, so a markdown file cannot close the block', () => {
    const md = 'Text\n```js\ncode\n```\nand ````` five\n';
    const a = attach({ label: 'README.md', bytes: bytes(md) });
    assert.equal(a.text, `File: README.md\n\`\`\`\`\`\`md\n${md}\`\`\`\`\`\``);
  });

  it('cuts a long file at a whole line, saying so on the chip and to the model, line-exact', () => {
    const lines = Array.from({ length: 9876 }, (_, i) => `line ${i + 1} ${'x'.repeat(20)}`);
    const a = attach({ label: 'big.txt', bytes: bytes(lines.join('\n') + '\n') });
    const body = a.text.split('\n```')[1];
    const kept = body.split('\n').slice(1); // after the info string
    assert.ok(a.note, 'no note on the chip');
    const m = /^first ([\d,]+) of 9,876 lines$/.exec(a.note!);
    assert.ok(m, `note: ${a.note}`);
    const n = Number(m[1].replace(/,/g, ''));
    assert.deepEqual(kept, lines.slice(0, n), 'the kept lines are the first n, whole');
    assert.ok(a.text.endsWith(`\n\`\`\`\n[truncated: ${a.note}]`), 'the note is in the text, after the block');
    const within = lines.slice(0, n).join('\n').length + 1;
    assert.ok(within <= MAX_ATTACHMENT_CHARS && within + lines[n].length + 1 > MAX_ATTACHMENT_CHARS, 'as many lines as fit');
    assert.equal(a.tokens, estimateTokens(a.text));
  });

  it('honours maxChars, and counts a line without a final newline', () => {
    const a = attach({ label: 'a.txt', bytes: bytes('one\ntwo\nthree\nfour') }, { maxChars: 10 });
    assert.equal(a.note, 'first 2 of 4 lines');
    assert.equal(a.text, 'File: a.txt\n```txt\none\ntwo\n```\n[truncated: first 2 of 4 lines]');
  });

  it('does not cut a file that fits exactly', () => {
    const a = attach({ label: 'a.txt', bytes: bytes('0123456789') }, { maxChars: 10 });
    assert.equal(a.note, undefined);
  });

  it('cuts a single huge line (minified code) inside it, counting characters', () => {
    const a = attach({ label: 'a.min.js', bytes: bytes('x'.repeat(100)) }, { maxChars: 30 });
    assert.equal(a.note, 'first 30 of 100 characters');
    assert.equal(a.text, `File: a.min.js\n\`\`\`js\n${'x'.repeat(30)}\n\`\`\`\n[truncated: first 30 of 100 characters]`);
  });

  it('refuses a PNG, naming it', () => {
    const png = Uint8Array.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x01, 0x00,
    ]);
    assert.deepEqual(fileAttachment({ label: 'x.png', bytes: png }), {
      ok: false,
      reason: 'x.png looks binary; only text files can be attached.',
    });
  });

  it('refuses a file with a NUL byte, and a NUL-free file that is not UTF-8', () => {
    assert.equal(fileAttachment({ label: 'a.bin', bytes: Uint8Array.from([0x61, 0x62, 0x00, 0x63]) }).ok, false);
    const noise = Uint8Array.from({ length: 4096 }, (_, i) => 0x80 + ((i * 37) % 0x7f));
    assert.equal(fileAttachment({ label: 'noise.dat', bytes: noise }).ok, false);
    assert.equal(decodeText(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), undefined, 'the bare PNG signature');
  });

  it('accepts UTF-8 with multibyte characters, even one cut by the 8 KiB sniffing boundary', () => {
    const text = 'Grüße, 世界 🎉\n'.repeat(2000);
    const a = attach({ label: 'u.txt', bytes: bytes(text) }, { maxChars: 1_000_000 });
    assert.ok(a.text.includes('Grüße, 世界 🎉\n'));
    for (let offset = 0; offset < 4; offset++) {
      const shifted = bytes('a'.repeat(8190 + offset) + '🎉'.repeat(10));
      assert.equal(decodeText(shifted), 'a'.repeat(8190 + offset) + '🎉'.repeat(10), `offset ${offset}`);
    }
  });

  it('accepts an empty file and a UTF-16 file with its byte order mark', () => {
    assert.equal(attach({ label: 'e.txt', bytes: new Uint8Array() }).text, 'File: e.txt\n```txt\n```');
    const utf16 = Uint8Array.from([0xff, 0xfe, 0x68, 0x00, 0x69, 0x00]);
    assert.equal(decodeText(utf16), 'hi');
  });

  it("takes an open document's text as it is (textFileAttachment)", () => {
    const a = textFileAttachment({ label: 'a.ts', detail: 'src/a.ts', text: 'unsaved\n', languageId: 'typescript', kind: 'activeFile' });
    assert.equal(a.text, 'Active file: src/a.ts\n```typescript\nunsaved\n```');
  });
});

describe('selectionAttachment', () => {
  it('names one line as such', () => {
    const s = selectionAttachment({ label: 'a.ts:5', detail: 'src/a.ts', text: 'x', startLine: 5, endLine: 5 });
    assert.equal(s.text, 'Selection: src/a.ts (line 5)\n```ts\nx\n```');
    assert.equal(s.detail, 'src/a.ts (line 5)');
    assert.equal(s.kind, 'selection');
  });

  it('cuts a huge selection with a note about selected lines', () => {
    const s = selectionAttachment({ label: 'a.ts:1-4', text: 'aa\nbb\ncc\ndd\n', startLine: 1, endLine: 4 }, { maxChars: 7 });
    assert.equal(s.note, 'first 2 of 4 selected lines');
    assert.ok(s.text.endsWith('[truncated: first 2 of 4 selected lines]'));
  });
});

describe('problemsAttachment', () => {
  const problem = (file: string, line: number, severity: Problem['severity'], message: string, source?: string): Problem => ({
    file,
    line,
    severity,
    message,
    source,
  });

  it('lists errors first, then warnings, by file and line, with sources and the count on the chip', () => {
    const p = problemsAttachment([
      problem('b.ts', 3, 'warning', 'Unused x', 'eslint'),
      problem('b.ts', 1, 'error', "Cannot find name 'y'.", 'ts'),
      problem('a.ts', 9, 'error', 'Type error\nDetails here'),
      problem('a.ts', 2, 'info', 'Consider this'),
    ]);
    assert.equal(p.label, 'Problems (4)');
    assert.equal(p.kind, 'problems');
    assert.equal(p.detail, '2 errors, 1 warning, 1 info');
    assert.equal(
      p.text,
      [
        'Problems in the workspace (2 errors, 1 warning, 1 info):',
        '- a.ts:9 error: Type error\n  Details here',
        "- b.ts:1 error: Cannot find name 'y'. (ts)",
        '- b.ts:3 warning: Unused x (eslint)',
        '- a.ts:2 info: Consider this',
      ].join('\n'),
    );
    assert.equal(p.note, undefined);
    assert.equal(p.tokens, estimateTokens(p.text));
  });

  it('caps the list, with a note on the chip and in the text', () => {
    const many = Array.from({ length: 120 }, (_, i) => problem('a.ts', i + 1, i % 2 ? 'warning' : 'error', `p${i}`));
    const p = problemsAttachment(many);
    assert.equal(p.label, 'Problems (120)');
    assert.equal(p.note, 'first 50 of 120 problems');
    const items = p.text.split('\n').filter((l) => l.startsWith('- '));
    assert.equal(items.length, 50);
    assert.ok(
      items.every((l) => l.includes(' error: ')),
      'the 60 errors come before any warning',
    );
    assert.ok(p.text.endsWith('\n[truncated: first 50 of 120 problems]'));
    assert.equal(problemsAttachment(many, 3).note, 'first 3 of 120 problems');
  });

  it('says so when there are none', () => {
    const p = problemsAttachment([]);
    assert.equal(p.text, 'Problems in the workspace: none.');
    assert.equal(p.label, 'Problems (0)');
  });
});

describe('countLines', () => {
  it('counts like an editor', () => {
    assert.equal(countLines(''), 0);
    assert.equal(countLines('a'), 1);
    assert.equal(countLines('a\n'), 1);
    assert.equal(countLines('a\nb'), 2);
    assert.equal(countLines('\n\n'), 2);
  });
});
