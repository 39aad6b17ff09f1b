import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IncrementalMarkdown, plainParagraph, type RenderUpdate } from '../../src/webview/markdown/incrementalRenderer';
import { createMarkdown } from '../../src/webview/markdown/markdown';
import { fillIncomplete } from '../../src/webview/markdown/tailFill';
import { longAnswer, realWorldDocs } from '../fixtures/markdownCorpus';
import { scannedCharacters } from './scanWork';

const md = createMarkdown();
const spec: Array<{ markdown: string; example: number }> = require('commonmark-spec').tests;
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const FENCE_END = '</code></pre>\n';

/** A deterministic pseudo-random chunker, so failures can be replayed. */
function chunks(text: string, size: number | 'random', seed = 1): string[] {
  const out: string[] = [];
  let s = seed;
  for (let i = 0; i < text.length;) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const n = size === 'random' ? 1 + (s % 40) : size;
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

/**
 * Streams `text` and checks after every update: committed HTML + the unfilled tail render equals
 * markdown-it on the prefix (every `fullEvery` steps: that check is O(text)); the tail the view would
 * show equals markdown-it on the filled-in tail; and the final HTML equals markdown-it on the whole.
 */
function stream(text: string, parts: string[], fullEvery = 1): { fastPaths: number; maxTail: number } {
  const r = new IncrementalMarkdown(md);
  const segments: string[] = [];
  let committed = '';
  let tail = '';
  let prefix = '';
  let fastPaths = 0;
  let maxTail = 0;
  const apply = (u: RenderUpdate) => {
    for (const { segment, html } of u.replace ?? []) segments[segment] = html;
    if (u.commit) segments.push(u.commit);
    committed = segments.join('');
    if (u.fenceText !== undefined) {
      assert.ok(tail.endsWith(FENCE_END), 'the fast path only runs when the tail ends in a fence');
      tail = tail.slice(0, -FENCE_END.length) + escape(u.fenceText) + FENCE_END;
      fastPaths++;
    } else if (u.tail !== undefined) tail = u.tail;
  };
  parts.forEach((part, step) => {
    prefix += part;
    apply(r.append(part));
    maxTail = Math.max(maxTail, r.tailText.length);
    const where = `step ${step} of ${JSON.stringify(text.slice(0, 80))}…`;
    // The model normalises line endings as markdown-it does, holding back a `\r` that may start `\r\n`.
    const normalized = prefix.replace(/\r\n?/g, '\n').replace(/\0/g, '\uFFFD');
    assert.ok(normalized.startsWith(r.text) && normalized.length - r.text.length <= 1, `text at ${where}`);
    // The tail is rendered knowing the definitions already committed, as the renderer renders it.
    const env: NonNullable<Parameters<typeof md.parse>[1]> = {};
    md.parse(r.text.slice(0, r.text.length - r.tailText.length), env);
    assert.equal(tail, md.render(fillIncomplete(r.tailText), { references: env.references ?? {} }), `tail at ${where}`);
    if (step % fullEvery === 0 || step === parts.length - 1)
      assert.equal(
        committed + md.render(r.tailText, { references: env.references ?? {} }),
        md.render(r.text),
        `committed + tail at ${where}`,
      );
  });
  apply(r.finish());
  assert.equal(tail, '', 'no tail after finish');
  assert.equal(committed, md.render(text), 'final render equals markdown-it on the whole text');
  return { fastPaths, maxTail };
}

describe('IncrementalMarkdown', () => {
  for (const size of [1, 7, 'random'] as const) {
    it(`matches markdown-it on all ${spec.length} CommonMark spec examples streamed in chunks of ${size}`, () => {
      for (const ex of spec) {
        try {
          stream(ex.markdown, chunks(ex.markdown, size, ex.example));
        } catch (err) {
          (err as Error).message = `example ${ex.example}: ${(err as Error).message}`;
          throw err;
        }
      }
    });
  }

  // The first 60 KB of each: a cut anywhere is still markdown, and it keeps this suite under a minute.
  for (const doc of realWorldDocs().map((d) => ({ ...d, text: d.text.slice(0, 60_000) }))) {
    it(`matches markdown-it on ${doc.name} (${doc.text.length} chars) streamed in chunks of 7 and random`, () => {
      // The full-prefix check is O(text): on long documents, about a hundred of them per pass.
      for (const parts of [chunks(doc.text, 7), chunks(doc.text, 'random', 3)])
        stream(doc.text, parts, Math.max(10, Math.ceil(parts.length / 100)));
    });
  }

  it('renders a tail of one plain line without markdown-it, exactly as markdown-it would', () => {
    const r = new IncrementalMarkdown(md);
    assert.deepEqual(r.append('Here'), { replace: undefined, commit: '', tail: '<p>Here</p>\n', plainTail: 'Here' });
    assert.equal(r.append(' is, I think ').plainTail, 'Here is, I think', 'trailing spaces dropped, as in a paragraph');
    assert.equal(r.append('the answer.').plainTail, undefined, 'a dot can make a domain (linkify): the full path');
    // Random lines over the allowed characters and the ones around them: whenever the fast path answers, it
    // answers what markdown-it renders for the filled-in tail.
    const alphabet = [
      'a',
      'Z',
      'é',
      '語',
      '1',
      '9',
      ' ',
      ' ',
      ',',
      ';',
      "'",
      '?',
      '!',
      '-',
      '.',
      ':',
      '@',
      '/',
      '*',
      '_',
      '`',
      '[',
      '#',
      '<',
      '&',
      '|',
      '\t',
      '\n',
      '=',
      '+',
      '~',
      '(',
      '\\',
    ];
    let seed = 5;
    let plain = 0;
    for (let i = 0; i < 20_000; i++) {
      let line = '';
      const length = 1 + (i % 12);
      for (let k = 0; k < length; k++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        // Mostly letters and spaces, so that many lines are plain.
        line += seed % 3 === 0 ? alphabet[seed % alphabet.length] : seed % 5 === 0 ? ' ' : 'w';
      }
      const text = plainParagraph(line);
      if (text === undefined) continue;
      plain++;
      assert.equal(`<p>${text}</p>\n`, md.render(fillIncomplete(line)), JSON.stringify(line));
    }
    assert.ok(plain > 3_000, `enough lines took the fast path to mean something (${plain})`);
  });

  it('keeps the tail short on a long mixed answer and extends a long code fence in place', () => {
    const text = longAnswer(4000);
    const { fastPaths, maxTail } = stream(text, chunks(text, 'random', 9), 200);
    assert.ok(fastPaths > 100, `most updates inside the code block take the fast path (${fastPaths})`);
    const codeBlock = 20_000;
    assert.ok(maxTail < codeBlock + 3000, `the tail stays bounded by the biggest block, not the answer (${maxTail} of ${text.length})`);
  });

  it('commits a block once the next block has a complete first line, and not before', () => {
    // While `2` is still being written after a list, it may become `2. b`, an item of that same list.
    const r = new IncrementalMarkdown(md);
    assert.equal(r.append('1. a\n\n2').commit, '', 'the list stays in the tail while the next line is unfinished');
    assert.equal(r.append('. b\n').commit, '', 'one list: nothing is final yet');
    const after = r.append('\nAfter.\n');
    assert.equal(after.commit, md.render('1. a\n\n2. b\n'), 'the list is final once a complete line starts the next block');
    assert.equal(r.tailText, 'After.\n');
    for (const parts of [
      ['1. a\n\n2', '. b\n\nAfter.\n'],
      ['Title\n-', '--\n\nNext'],
      ['- a\n\nb\n', '  c\n'],
    ])
      stream(parts.join(''), parts);
  });

  it('takes the fast path from the first line inside a fence, also right after blocks were committed', () => {
    const r = new IncrementalMarkdown(md);
    r.append('# Title\n\nOne.\n\nTwo.\n\nThree.\n\n');
    const opened = r.append('```ts\nconst a = 1;\n');
    assert.ok(opened.commit.length > 0, 'blocks were committed in the same update');
    assert.deepEqual(r.append('const b = 2;\n'), { commit: '', fenceText: 'const b = 2;\n' });
  });

  it('replaces only the committed segments whose links a new reference definition changes', () => {
    const r = new IncrementalMarkdown(md);
    const parts = ['See [the docs][d].\n\n', 'Para two.\n\n', 'Para three.\n\n', 'Para four.\n\n', '[d]: https://example.com\n'];
    const segments: string[] = [];
    const replaced: number[] = [];
    const apply = (u: RenderUpdate) => {
      for (const { segment, html } of u.replace ?? []) {
        segments[segment] = html;
        replaced.push(segment);
      }
      if (u.commit) segments.push(u.commit);
    };
    for (const p of parts) apply(r.append(p));
    apply(r.finish());
    assert.deepEqual(replaced, [0], 'only the first paragraph, which uses the definition, was rendered again');
    assert.equal(segments.join(''), md.render(parts.join('')));
    assert.match(segments[0], /<a href="https:\/\/example.com">the docs<\/a>/);
  });

  it('handles the bugs others shipped', () => {
    const cases = [
      '- item\n\n  ```js\n  const a = 1;\n  ```\n\n- next\n', // fenced code inside list items
      '- **bold** start\n- ** \n', // `- **` at a line start
      'snake_case and more_snake_case_here\n', // no closing `_`
      '```\n$__x and **not bold\n```\n', // no closer inside a fence
      '- a\n\nparagraph\n\n- b\n', // one item plus a paragraph until the next `- `
      '````\ncode\n```\nstill code\n````\nafter\n', // a closing fence shorter than the opening one
      '![img](data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk)\n', // partial base64 image
      'Title\n=====\n\ntext\n---\n', // setext headings arriving late
      'a | b\n--|--\n1 | 2\n', // a table's separator row
      '1. one\n2\n2. two\n', // `2` becoming `2.`
      '#\n# Heading\n', // `#` growing into a heading
    ];
    for (const text of cases) {
      stream(text, chunks(text, 1));
      stream(text, chunks(text, 3));
    }
  });

  // Work counted, not timed (scanWork.ts): a 30 s bound failed on a loaded machine and caught only the worst.
  // Long lines of delimiters too: the fill-in looked at the whole line for each one (a 40 KB line of `_x `
  // took 18 s per update, 36,000 times the linear work here).
  for (const [name, unit, length] of [
    ['backslashes', '\\', 200_000],
    ['`_x ` (emphasis openers)', '_x ', 60_000],
    ['`a* ` (delimiters)', 'a* ', 60_000],
    ['`` `a `` (code spans)', '`a ', 60_000],
  ] as const) {
    it(`re-parses a ${length.toLocaleString('en')}-character line of ${name} with work linear in the tail`, () => {
      const text = unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
      const r = new IncrementalMarkdown(md);
      const updates: RenderUpdate[] = [];
      let tails = 0;
      const work = scannedCharacters(() => {
        for (const part of chunks(text, length / 10)) {
          updates.push(r.append(part));
          tails += r.tailText.length;
        }
        updates.push(r.finish());
      });
      tails += text.length;
      assert.equal(updates.map((u) => u.commit).join(''), md.render(text));
      // Each update scans its tail a few dozen times (line endings, the fill-in, markdown-it's passes): 26-48 measured.
      assert.ok(
        work <= 100 * tails,
        `${work} characters scanned for ${tails} characters of tail (${Math.round(work / tails)}x): not linear`,
      );
    });
  }
});
