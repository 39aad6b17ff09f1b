import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nameBlock, pathInInfo, pathInLine, relativeInside } from '../../src/extension/edits/codeTarget';
import { mergeBlock } from '../../src/extension/edits/mergeCode';
import { rebase, sameText } from '../../src/extension/edits/rebase';
import { parseRecords, recordChange, type TurnRecord } from '../../src/extension/edits/turnRecords';
import { parseWebviewMessage } from '../../src/shared/protocol';

describe('which file a code block names', () => {
  it('reads the info string in its usual forms', () => {
    assert.equal(pathInInfo('ts src/app.ts'), 'src/app.ts');
    assert.equal(pathInInfo('ts:src/app.ts'), 'src/app.ts');
    assert.equal(pathInInfo('python title="tools/run.py"'), 'tools/run.py');
    assert.equal(pathInInfo('src/app.ts'), 'src/app.ts');
    assert.equal(pathInInfo('js app.js'), 'app.js');
    assert.equal(pathInInfo('ts'), undefined);
    assert.equal(pathInInfo('c++'), undefined);
    assert.equal(pathInInfo(''), undefined);
  });

  it('reads the line before the fence, not version numbers or sites', () => {
    assert.equal(pathInLine('src/app.ts:'), 'src/app.ts');
    assert.equal(pathInLine('In src/util/math.ts, replace the function:'), 'src/util/math.ts');
    assert.equal(pathInLine('**File: lib/index.js**'), 'lib/index.js');
    assert.equal(pathInLine('Upgrade to 1.2.3 as shown on example.com, e.g. like this:'), undefined);
    assert.equal(pathInLine('Here is the code:'), undefined);
  });

  it('takes a first-line path comment and leaves it out of the code', () => {
    const named = nameBlock({ text: '// src/app.ts\nexport const a = 1;\n', info: 'ts' });
    assert.deepEqual(named, { path: 'src/app.ts', code: 'export const a = 1;\n', pathComment: '// src/app.ts' });
    assert.equal(nameBlock({ text: '# File: tools/run.py\nprint(1)\n', info: 'python' }).path, 'tools/run.py');
    assert.equal(nameBlock({ text: '<!-- docs/a.html -->\n<p>x</p>', info: 'html' }).path, 'docs/a.html');
  });

  it('prefers the info string over the line before, and keeps an ordinary first comment', () => {
    assert.equal(nameBlock({ text: 'x', info: 'ts a/one.ts', before: 'b/two.ts:' }).path, 'a/one.ts');
    const plain = nameBlock({ text: '// add the two numbers\nreturn a + b;', info: 'ts' });
    assert.equal(plain.path, undefined);
    assert.equal(plain.code, '// add the two numbers\nreturn a + b;');
  });

  it('refuses paths that leave the workspace', () => {
    assert.deepEqual(relativeInside('./src/../src/app.ts'), { ok: true, relative: 'src/app.ts' });
    assert.equal(relativeInside('../outside.ts').ok, false);
    assert.equal(relativeInside('src/../../etc/passwd').ok, false);
    assert.equal(relativeInside('~/.bashrc').ok, false);
    assert.equal(relativeInside('a\0b').ok, false);
  });
});

const FILE = `import { readFile } from 'node:fs/promises';

export function add(a: number, b: number): number {
  return a + b;
}

export function sub(a: number, b: number): number {
  return a - b;
}

export async function load(path: string): Promise<string> {
  return readFile(path, 'utf8');
}
`;

describe('merging a block into its file', () => {
  it('a new or empty file takes the block as it is', () => {
    assert.deepEqual(mergeBlock(undefined, 'a'), { ok: true, kind: 'new', text: 'a\n' });
    assert.deepEqual(mergeBlock('  \n', 'a\n'), { ok: true, kind: 'new', text: 'a\n' });
  });

  it('a whole file replaces the file, even with a changed first line', () => {
    const whole = FILE.replace(
      "import { readFile } from 'node:fs/promises';",
      "import { readFile, writeFile } from 'node:fs/promises';",
    ).replace('return a - b;', 'return a - b - 0;');
    const merged = mergeBlock(FILE, whole);
    assert.ok(merged.ok);
    assert.equal(merged.text, whole);
  });

  it('a changed function goes over that function only', () => {
    const block = `export function sub(a: number, b: number, c = 0): number {
  return a - b - c;
}`;
    const merged = mergeBlock(FILE, block);
    assert.ok(merged.ok);
    assert.equal(merged.text, FILE.replace('export function sub(a: number, b: number): number {\n  return a - b;\n}', block));
  });

  it('elision comments split the block into parts placed one by one', () => {
    const block = `import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

// ... existing code ...

export async function load(path: string): Promise<string> {
  return readFile(join('.', path), 'utf8');
}`;
    const merged = mergeBlock(FILE, block);
    assert.ok(merged.ok);
    const want = FILE.replace("promises';\n", "promises';\nimport { join } from 'node:path';\n").replace(
      "readFile(path, 'utf8')",
      "readFile(join('.', path), 'utf8')",
    );
    assert.equal(merged.text, want);
  });

  it('search/replace markers are applied exactly, also with drifted indentation', () => {
    const block = `<<<<<<< SEARCH
export function add(a: number, b: number): number {
    return a + b;
=======
export function add(a: number, b: number): number {
  return b + a;
>>>>>>> REPLACE`;
    const merged = mergeBlock(FILE, block);
    assert.deepEqual(merged, { ok: true, kind: 'searchReplace', text: FILE.replace('return a + b;', 'return b + a;') });
  });

  it('a search that is not in the file, or is there twice, is refused', () => {
    const missing = mergeBlock(FILE, '<<<<<<< SEARCH\nnot here\n=======\nx\n>>>>>>> REPLACE');
    assert.equal(missing.ok, false);
    const twice = mergeBlock('a()\nb\na()\n', '<<<<<<< SEARCH\na()\n=======\nc()\n>>>>>>> REPLACE');
    assert.equal(twice.ok, false);
  });

  it('a block with nothing in common with the file, or only braces, is not placed', () => {
    assert.equal(mergeBlock(FILE, 'function other() {\n  console.log("hi");\n}').ok, false);
    assert.equal(mergeBlock(FILE, '}\n\n}').ok, false);
  });

  it('a stray match far away does not stretch the region over the file', () => {
    const long = [
      'function first() {',
      '  return value;',
      '}',
      ...Array.from({ length: 200 }, (_, i) => `const c${i} = ${i};`),
      'function last() {',
      '  return value;',
      '}',
      '',
    ].join('\n');
    const block = 'function last() {\n  return value + 1;\n}';
    const merged = mergeBlock(long, block);
    assert.ok(merged.ok);
    assert.equal(merged.text, long.replace('function last() {\n  return value;\n}', block));
  });
});

describe('moving a proposal onto a changed file', () => {
  it('applies the proposal on top of an unrelated change', () => {
    const base = 'a\nb\nc\nd\ne\nf\ng\nh\ni\n';
    const proposal = base.replace('b\n', 'B\n');
    const current = base.replace('h\n', 'H\n');
    assert.equal(rebase(base, proposal, current), 'a\nB\nc\nd\ne\nf\ng\nH\ni\n');
  });

  it('gives up when the same lines were changed', () => {
    const base = 'a\nb\nc\n';
    assert.equal(rebase(base, 'a\nB\nc\n', 'a\nX\nc\n'), undefined);
  });

  it('compares texts regardless of line endings', () => {
    assert.ok(sameText('a\r\nb\r\n', 'a\nb\n'));
    assert.ok(!sameText('a\n', undefined));
    assert.ok(sameText(undefined, undefined));
  });
});

describe("an answer's changes, kept for undo", () => {
  const change = (turnId: string, uri: string, before: string | undefined, after: string) => ({ turnId, uri, before, after });

  it('keeps the text before the first change and after the last, per file of the turn', () => {
    let turns = recordChange([], change('t1', 'file:///a', 'a0', 'a1'));
    turns = recordChange(turns, change('t1', 'file:///a', 'a1', 'a2'));
    turns = recordChange(turns, change('t1', 'file:///b', undefined, 'b1'));
    assert.deepEqual(turns, [
      {
        turnId: 't1',
        conversationId: undefined,
        files: [
          { uri: 'file:///a', before: 'a0', after: 'a2' },
          { uri: 'file:///b', before: null, after: 'b1' },
        ],
      },
    ]);
  });

  it('drops the oldest turns beyond the bounds in turns and in characters', () => {
    let turns: TurnRecord[] = [];
    for (let i = 0; i < 5; i++)
      turns = recordChange(turns, change(`t${i}`, 'file:///a', 'x'.repeat(10), 'y'.repeat(10)), { maxTurns: 3, maxChars: 1000 });
    assert.deepEqual(
      turns.map((t) => t.turnId),
      ['t2', 't3', 't4'],
    );
    turns = recordChange(turns, change('big', 'file:///b', 'x'.repeat(500), 'y'.repeat(470)), { maxTurns: 3, maxChars: 1000 });
    assert.deepEqual(
      turns.map((t) => t.turnId),
      ['t4', 'big'],
    );
  });

  it('stored records that are malformed are dropped, not trusted', () => {
    const good = { turnId: 't', files: [{ uri: 'file:///a', before: null, after: 'x' }] };
    assert.deepEqual(parseRecords([good, { turnId: 1 }, { turnId: 't2', files: [{ uri: 'u', before: 3, after: '' }] }, null]), [good]);
    assert.deepEqual(parseRecords('nope'), []);
  });
});

describe('the page asking for Apply, Accept/Reject and Undo', () => {
  it('takes well-formed messages and refuses the rest', () => {
    assert.ok(parseWebviewMessage({ type: 'applyCode', text: 'x', info: 'ts a.ts', before: 'a.ts:', messageId: 'm1' }).ok);
    assert.ok(parseWebviewMessage({ type: 'editReview', action: 'acceptAll' }).ok);
    assert.ok(parseWebviewMessage({ type: 'editReview', action: 'accept', id: '3' }).ok);
    assert.ok(parseWebviewMessage({ type: 'undoTurn', messageId: 'm1' }).ok);
    assert.equal(parseWebviewMessage({ type: 'applyCode', text: 'x', info: 'i'.repeat(1001) }).ok, false);
    assert.equal(parseWebviewMessage({ type: 'applyCode', text: 42 }).ok, false);
    assert.equal(parseWebviewMessage({ type: 'editReview', action: 'writeAnyway', id: '3' }).ok, false);
    assert.equal(parseWebviewMessage({ type: 'undoTurn' }).ok, false);
  });
});
