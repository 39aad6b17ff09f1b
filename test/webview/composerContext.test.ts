import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ContextChip } from '../../src/shared/protocol';
import { formatTokens } from '../../src/webview/panels/contextBar';
import { parseUriList } from '../../src/webview/panels/dropTarget';
import { WebviewHarness } from './harness';

const shots = join(__dirname, '..', '..', 'test-output', 'webview');
mkdirSync(shots, { recursive: true });
const model = { endpoint: 'Ollama', model: 'qwen3:latest' };
const WARNING = 'rgb(204, 167, 0)';
const FOCUS = 'rgb(0, 120, 212)';

const chips: ContextChip[] = [
  {
    id: 'selection',
    kind: 'selection',
    label: 'parser.ts:12-40',
    tokens: 310,
    enabled: true,
    removable: false,
    detail: 'src/parser.ts, lines 12–40',
  },
  { id: 'activeFile', kind: 'activeFile', label: 'parser.ts', tokens: 2400, enabled: false, removable: false, detail: 'src/parser.ts' },
  {
    id: 'f1',
    kind: 'file',
    label: 'huge.log',
    tokens: 5200,
    enabled: true,
    removable: true,
    note: 'first 2,000 of 9,100 lines',
    detail: 'logs/huge.log',
  },
  { id: 'problems', kind: 'problems', label: '3 problems', tokens: 120, enabled: true, removable: true },
  { id: 'instructions', kind: 'instructions', label: 'AGENTS.md', tokens: 450, enabled: true, removable: false },
];

describe('pure helpers', () => {
  it('formats token counts the short way', () => {
    assert.deepEqual([950, 1234, 8000, 8192, 12_800, 1_100_000].map(formatTokens), ['950', '1.2k', '8k', '8.2k', '13k', '1.1M']);
  });
  it('reads a uri-list, skipping comments and blank lines', () => {
    assert.deepEqual(parseUriList('# from the explorer\r\nfile:///a.ts\r\n\r\nfile:///b%20c.ts\n'), ['file:///a.ts', 'file:///b%20c.ts']);
  });
});

describe('composer context in headless Chromium', () => {
  const h = new WebviewHarness();
  before(async () => {
    await h.start();
  });
  after(() => h.stop());
  const page = () => h.page;
  const chip = (id: string) => page().locator(`.chip[data-context-id="${id}"]`);
  const meter = () => page().locator('.context-meter');
  const box = () => page().locator('textarea[aria-label="Message"]');

  beforeEach(async () => {
    await page().setViewportSize({ width: 420, height: 640 });
    // Colours the harness theme lacks, as VS Code's Dark Modern sets them.
    await page().evaluate(() => {
      const vars: Record<string, string> = {
        '--vscode-editorWarning-foreground': '#cca700',
        '--vscode-errorForeground': '#f85149',
        '--vscode-editorError-foreground': '#f14c4c',
        '--vscode-progressBar-background': '#0078d4',
        '--vscode-button-background': '#0078d4',
        '--vscode-button-foreground': '#ffffff',
      };
      for (const [k, v] of Object.entries(vars)) document.body.style.setProperty(k, v);
    });
    await h.send(
      { type: 'snapshot', messages: [], busy: false, model },
      { type: 'context', chips, meter: { usedTokens: 1000, limitTokens: 8000 } },
    );
    await box().fill('');
    await h.clearPosted();
  });

  it('shows each chip with its kind, tokens and note, and the detail as a tooltip', async () => {
    const icon = (id: string) => chip(id).locator('.codicon').first().getAttribute('class');
    assert.match((await icon('selection')) ?? '', /codicon-selection/);
    assert.match((await icon('activeFile')) ?? '', /codicon-file/);
    assert.match((await icon('f1')) ?? '', /codicon-file/);
    assert.match((await icon('problems')) ?? '', /codicon-warning/);
    assert.match((await icon('instructions')) ?? '', /codicon-book/);
    assert.equal(await chip('f1').locator('.chip-tokens').innerText(), '~5.2k tok');
    assert.equal(await chip('selection').locator('.chip-tokens').innerText(), '~310 tok');
    assert.equal(await chip('f1').locator('.chip-note').isVisible(), true);
    assert.equal(await chip('f1').locator('.chip-note').innerText(), 'first 2,000 of 9,100 lines');
    assert.match((await chip('selection').locator('[title]').first().getAttribute('title')) ?? '', /src\/parser\.ts, lines 12–40/);
    assert.equal(await chip('activeFile').getAttribute('data-enabled'), 'false');
    assert.equal(await chip('activeFile').evaluate((e) => getComputedStyle(e).borderTopStyle), 'dashed');
    for (const width of [250, 500]) {
      await page().setViewportSize({ width, height: 420 });
      await box().fill('What does this parser do with a trailing comma?');
      await page().screenshot({ path: join(shots, `context-${width}.png`) });
      const overflow = await page().evaluate(() =>
        [...document.querySelectorAll('.composer, .composer *')]
          .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
          .map((e) => e.className),
      );
      assert.deepEqual(overflow, [], `nothing sticks out at ${width} px`);
    }
  });

  it('toggles chips that can be switched off, removes attached ones, and asks for more with +', async () => {
    const activeToggle = chip('activeFile').locator('button[aria-pressed]');
    assert.equal(await activeToggle.getAttribute('aria-pressed'), 'false');
    await activeToggle.click();
    const selectionToggle = chip('selection').locator('button[aria-pressed]');
    assert.equal(await selectionToggle.getAttribute('aria-pressed'), 'true');
    await selectionToggle.click();
    assert.equal(await chip('f1').locator('button[aria-pressed]').count(), 0, 'attached files have × instead');
    await page().click('button[aria-label="Remove huge.log"]');
    await page().click('button[aria-label="Add context"]');
    assert.deepEqual(await h.posted(), [
      { type: 'toggleContext', id: 'activeFile', enabled: true },
      { type: 'toggleContext', id: 'selection', enabled: false },
      { type: 'removeContext', id: 'f1' },
      { type: 'addContext' },
    ]);
  });

  it('meters the context with the draft included, warning above 80% and erring above 100%', async () => {
    assert.equal(await meter().getAttribute('role'), 'meter');
    assert.equal(await meter().locator('.meter-text').innerText(), '1k / 8k tokens');
    await box().fill('x'.repeat(397)); // ceil(397 / 4) = 100 tokens
    assert.equal(await meter().locator('.meter-text').innerText(), '1.1k / 8k tokens');
    assert.equal(await meter().getAttribute('aria-valuenow'), '1100');
    assert.equal(await meter().getAttribute('aria-valuemax'), '8000');
    assert.equal(await meter().getAttribute('data-level'), 'ok');
    assert.notEqual(await meter().evaluate((e) => getComputedStyle(e).color), WARNING);

    await h.send({ type: 'context', chips, meter: { usedTokens: 6500, limitTokens: 8000 } });
    assert.equal(await meter().getAttribute('aria-valuenow'), '6600');
    assert.equal(await meter().getAttribute('data-level'), 'warn');
    assert.equal(await meter().evaluate((e) => getComputedStyle(e).color), WARNING);
    await page().screenshot({ path: join(shots, 'context-meter-warning.png') });

    await h.send({ type: 'context', chips, meter: { usedTokens: 8200, limitTokens: 8000 } });
    assert.equal(await meter().getAttribute('data-level'), 'over');
    assert.notEqual(await meter().evaluate((e) => getComputedStyle(e).color), WARNING);

    await h.send({ type: 'context', chips: [], meter: { usedTokens: 1200 } });
    assert.equal(await meter().locator('.meter-text').innerText(), '~1.3k tokens', 'no limit known: only the estimate');
    assert.equal(await meter().getAttribute('role'), null);
    assert.equal(await meter().locator('.meter-track').isVisible(), false);
  });

  it('takes dropped files as a uri-list and posts them, skipping comments', async () => {
    const result = await page().evaluate(() => {
      const dt = new DataTransfer();
      dt.setData('text/uri-list', '# dragged from the explorer\r\nfile:///work/a.ts\r\nfile:///work/b.ts\r\n');
      const target = document.querySelector('textarea')!;
      const fire = (type: string) => {
        const e = new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true });
        target.dispatchEvent(e);
        return e.defaultPrevented;
      };
      fire('dragenter');
      const accepted = fire('dragover');
      (window as any).__dt = dt;
      const composer = document.querySelector('.composer')!;
      const highlighted = composer.classList.contains('dropping');
      const hint = getComputedStyle(composer.querySelector('.drop-hint')!).display;
      return { accepted, highlighted, hint };
    });
    assert.deepEqual(result, { accepted: true, highlighted: true, hint: 'flex' });
    await page().screenshot({ path: join(shots, 'drop-hint.png') });
    const after = await page().evaluate(() => {
      const dt = (window as any).__dt as DataTransfer;
      const composer = document.querySelector('.composer')!;
      const e = new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true });
      document.querySelector('textarea')!.dispatchEvent(e);
      const dropped = e.defaultPrevented;
      return { dropped, stillHighlighted: composer.classList.contains('dropping') };
    });
    assert.deepEqual(after, { dropped: true, stillHighlighted: false });
    assert.deepEqual(await h.posted(), [{ type: 'dropFiles', uris: ['file:///work/a.ts', 'file:///work/b.ts'] }]);
  });

  it("prefers VS Code's own uri-list and ignores drags that carry no files", async () => {
    const prevented = await page().evaluate(() => {
      const fire = (dt: DataTransfer) => {
        const e = new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true });
        document.body.dispatchEvent(e);
        const drop = new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true });
        document.body.dispatchEvent(drop);
        return e.defaultPrevented;
      };
      const code = new DataTransfer();
      code.setData('application/vnd.code.uri-list', 'file:///work/c.ts');
      code.setData('text/uri-list', 'file:///elsewhere');
      const text = new DataTransfer();
      text.setData('text/plain', 'just words');
      return [fire(code), fire(text)];
    });
    assert.deepEqual(prevented, [true, false]);
    assert.deepEqual(await h.posted(), [{ type: 'dropFiles', uris: ['file:///work/c.ts'] }]);
  });

  it('keeps the keyboard focus on the chip after the host re-renders the chips (toggle, remove)', async () => {
    const activeLabel = () => page().evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.tagName);
    await chip('activeFile').locator('button[aria-label="Include parser.ts"]').focus();
    await page().keyboard.press('Enter');
    assert.deepEqual((await h.posted()).at(-1), { type: 'toggleContext', id: 'activeFile', enabled: true });
    await h.send({
      type: 'context',
      chips: chips.map((c) => (c.id === 'activeFile' ? { ...c, enabled: true } : c)),
      meter: { usedTokens: 3400, limitTokens: 8000 },
    });
    assert.equal(await activeLabel(), 'Include parser.ts', 'focus stays on the toggled chip');
    // Removing a chip: focus moves to the chip that took its place, never to the page itself.
    await chip('f1').locator('button[aria-label="Remove huge.log"]').focus();
    await page().keyboard.press('Enter');
    await h.send({ type: 'context', chips: chips.filter((c) => c.id !== 'f1'), meter: { usedTokens: 1000, limitTokens: 8000 } });
    assert.equal(
      await page().evaluate(() => document.activeElement?.closest('[data-context-id]')?.getAttribute('data-context-id')),
      'problems',
    );
  });

  it('Tab visits the header (model, tools, history, new chat), the chips, +, the message box, Attach image and Send in order, each with a visible focus ring', async () => {
    await h.send({ type: 'setup', setup: { state: 'checking' } });
    // From the message box (where the page starts), Tab runs off the end and comes round to the top.
    const focused = () => page().evaluate(() => document.activeElement?.classList.contains('model-picker'));
    for (let i = 0; i < 20 && !(await focused()); i++) await page().keyboard.press('Tab');
    const visited: Array<{ label: string; outline: string; frame: string }> = [];
    for (let i = 0; i < 13; i++) {
      if (i > 0) await page().keyboard.press('Tab');
      visited.push(
        await page().evaluate(() => {
          const e = document.activeElement as HTMLElement;
          const s = getComputedStyle(e);
          return {
            label: e.getAttribute('aria-label') ?? e.tagName,
            outline: e.matches(':focus-visible') && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1 ? s.outlineColor : 'none',
            frame: getComputedStyle(e.closest('.composer') ?? e).borderTopColor,
          };
        }),
      );
    }
    assert.deepEqual(
      visited.map((v) => v.label),
      [
        'Model: Ollama · qwen3:latest. Select model',
        'Tools',
        'Show history',
        'New chat',
        'Include parser.ts:12-40',
        'Include parser.ts',
        'Remove huge.log',
        'Remove 3 problems',
        'Include AGENTS.md',
        'Add context',
        'Message',
        'Attach image',
        'Send',
      ],
    );
    for (const v of visited) {
      // The message box shows focus with the composer's frame, as VS Code's own chat input does.
      if (v.label === 'Message') assert.equal(v.frame, FOCUS, 'the composer frame lights up');
      else assert.equal(v.outline, FOCUS, `${v.label} has a focus ring`);
    }
  });
});
