import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterLastBlankLine, endsInsideFence, fillIncomplete } from '../../src/webview/markdown/tailFill';
import { scannedCharacters } from './scanWork';

const cases: Array<[string, string]> = [
  ['Some **bold', 'Some **bold**'],
  ['Some **bold ', 'Some **bold** '],
  ['Some *it', 'Some *it*'],
  ['_it', '_it_'],
  ['~~gone', '~~gone~~'],
  ['**bold and *it', '**bold and *it***'],
  ['Use `code', 'Use `code`'],
  // Two blank lines in a row, the second a tab: the paragraph after them is filled (it is not indented code).
  ['para *x*\n\n\t\nmore *y', 'para *x*\n\n\t\nmore *y*'],
  ['Use ``co`de', 'Use ``co`de``'],
  ['**bold `co', '**bold `co`**'],
  ['text `', 'text '],
  ['- **', '- '],
  ['- item *', '- item '],
  ['Trailing **', 'Trailing '],
  ['**done** and *x', '**done** and *x*'],
  ['See [docs](https://exa', 'See docs'],
  ['See [**docs**](https://exa', 'See **docs**'],
  ['Look ![chart](https://img.example/ch', 'Look '],
  ['Look ![chart', 'Look '],
  ['text <di', 'text '],
  ['text </sp', 'text '],
  ['first para **open\n\nsecond *it', 'first para **open\n\nsecond *it*'],
];
const untouched = [
  'snake_case_name',
  'a * b',
  '* item',
  '  * nested item',
  '***',
  '* * *',
  '___',
  '\\*not emphasis',
  '\\`not code',
  '__init__ done',
  'word_',
  '2 * 3 = 6',
  '~single',
  '```js\nconst a = `x',
  '```\n$__x',
  '~~~\n**no',
  '    indented **code',
  '- ```js\n  const a = `x',
  'plain text',
  '',
];

describe('fillIncomplete', () => {
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => assert.equal(fillIncomplete(input), expected));
  }
  for (const input of untouched) {
    it(`leaves ${JSON.stringify(input)} alone`, () => assert.equal(fillIncomplete(input), input));
  }
});

describe('afterLastBlankLine', () => {
  it('finds the end of the last blank line, on random text', () => {
    // Every line that follows a line break and is ended by one, checked one by one. (The regular expression
    // this replaced missed the second of two blank lines in a row: they share a line break.)
    const reference = (text: string) => {
      let found = 0;
      for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) {
        const next = text.indexOf('\n', at + 1);
        if (next !== -1 && /^[ \t]*$/.test(text.slice(at + 1, next))) found = next + 1;
      }
      return found;
    };
    const pieces = ['\n', '\n', ' ', '\t', 'a', '- x', '\r'];
    let seed = 11;
    for (let i = 0; i < 20_000; i++) {
      let text = '';
      for (let k = 0; k < 1 + (i % 14); k++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        text += pieces[seed % pieces.length];
      }
      assert.equal(afterLastBlankLine(text), reference(text), JSON.stringify(text));
    }
  });

  it('scans a loose list once, not once per blank line', () => {
    const list = '- item\n\n'.repeat(5_000) + '- last';
    const work = scannedCharacters(() => afterLastBlankLine(list));
    assert.ok(work <= 2 * list.length, `${work} characters scanned for ${list.length}`);
  });
});

describe('endsInsideFence', () => {
  it('tracks fences by character and length', () => {
    assert.equal(endsInsideFence('```js\ncode'), true);
    assert.equal(endsInsideFence('```js\ncode\n```'), false);
    assert.equal(endsInsideFence('````\n```\nstill'), true, 'a shorter fence does not close a longer one');
    assert.equal(endsInsideFence('~~~\n```\n'), true);
    assert.equal(endsInsideFence('``` not `a fence`'), false, 'a backtick info string with a backtick is not a fence');
    assert.equal(endsInsideFence('- item\n  ```py\n  x = 1'), true);
  });
});
