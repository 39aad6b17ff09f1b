import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ErrorAction, SetupState } from '../../src/shared/protocol';
import { SUGGESTED_MODELS } from '../../src/shared/suggestedModels';
import { WebviewHarness } from './harness';

const shots = join(__dirname, '..', '..', 'test-output', 'webview');
mkdirSync(shots, { recursive: true });
const model = { endpoint: 'Ollama', model: 'qwen3:latest' };

describe('empty state in headless Chromium', () => {
  const h = new WebviewHarness();
  before(() => h.start());
  after(() => h.stop());
  beforeEach(async () => {
    await h.page.setViewportSize({ width: 420, height: 640 });
    // Button colours the harness theme lacks, as VS Code's Dark Modern sets them (for the screenshots).
    await h.page.evaluate(() => {
      document.body.style.setProperty('--vscode-button-background', '#0078d4');
      document.body.style.setProperty('--vscode-button-foreground', '#ffffff');
    });
    await h.send({ type: 'snapshot', messages: [], busy: false, model });
    await h.clearPosted();
  });

  const empty = () => h.page.locator('.empty-state');
  const setup = (s: SetupState) => h.send({ type: 'setup', setup: s });
  const buttonLabels = () =>
    empty()
      .locator('button')
      .evaluateAll((bs) => bs.map((b) => b.textContent?.trim()));
  async function clickPosts(label: string, action: ErrorAction): Promise<void> {
    await h.clearPosted();
    await empty().getByRole('button', { name: label, exact: true }).click();
    assert.deepEqual(await h.posted(), [{ type: 'setupAction', action }], label);
  }

  it('says it is connecting, quietly, while the host checks the server', async () => {
    await setup({ state: 'checking' });
    assert.equal(await empty().isVisible(), true);
    assert.match(await empty().innerText(), /Connecting to the model server…/);
    assert.deepEqual(await buttonLabels(), []);
  });

  it('with no endpoint, offers the built-in engine or to add one', async () => {
    await setup({ state: 'noEndpoint' });
    assert.deepEqual(await buttonLabels(), ['Use the built-in engine', 'Add an endpoint']);
    await h.page.setViewportSize({ width: 250, height: 600 });
    await h.page.screenshot({ path: join(shots, 'empty-no-endpoint-250.png') });
    await clickPosts('Add an endpoint', { kind: 'openSettings', label: 'Add an endpoint', setting: 'modelChat.endpoints' });
  });

  it('explains how to start Ollama when it cannot be reached, with Retry, the built-in engine, Pull and Edit endpoints', async () => {
    await setup({ state: 'unreachable', endpoint: 'Ollama', url: 'http://127.0.0.1:11434', kind: 'ollama' });
    const text = await empty().innerText();
    assert.match(text, /Can't reach Ollama at http:\/\/127\.0\.0\.1:11434\./);
    assert.match(text, /ollama\.com/);
    assert.equal(await empty().locator('code', { hasText: 'ollama serve' }).count(), 1);
    assert.equal(await empty().locator('code', { hasText: 'ollama pull qwen3' }).count(), 1);
    assert.match(text, /OpenAI-compatible/);
    assert.deepEqual(await buttonLabels(), ['Retry', 'Use the built-in engine', 'Pull qwen3', 'Edit endpoints']);
    assert.match(text, /chat without a server: the built-in engine runs a GGUF model file/);
    await clickPosts('Retry', { kind: 'retry', label: 'Retry' });
    await clickPosts('Use the built-in engine', { kind: 'useBuiltIn', label: 'Use the built-in engine' });
    await clickPosts('Pull qwen3', { kind: 'pullModel', label: 'Pull qwen3', model: 'qwen3' });
    await clickPosts('Edit endpoints', { kind: 'openSettings', label: 'Edit endpoints', setting: 'modelChat.endpoints' });
    for (const width of [250, 500]) {
      await h.page.setViewportSize({ width, height: 600 });
      await h.page.screenshot({ path: join(shots, `empty-unreachable-${width}.png`) });
    }
  });

  it('for an unreachable OpenAI-compatible server, offers Retry, Edit endpoints and Set API key', async () => {
    await setup({ state: 'unreachable', endpoint: 'OpenRouter', url: 'https://openrouter.ai/api/v1', kind: 'openai' });
    assert.match(await empty().innerText(), /Can't reach OpenRouter at https:\/\/openrouter\.ai\/api\/v1/);
    assert.deepEqual(await buttonLabels(), ['Retry', 'Use the built-in engine', 'Edit endpoints', 'Set API key']);
    await clickPosts('Set API key', { kind: 'setApiKey', label: 'Set API key' });
  });

  it('when the server has no models, offers to pull one, retry or select a model', async () => {
    await setup({ state: 'noModels', endpoint: 'Ollama', url: 'http://127.0.0.1:11434', kind: 'ollama' });
    assert.match(await empty().innerText(), /Ollama has no models yet/);
    assert.deepEqual(await buttonLabels(), ['Pull qwen3', 'Retry', 'Select model']);
    await clickPosts('Select model', { kind: 'selectModel', label: 'Select model' });
    await setup({ state: 'noModels', endpoint: 'LM Studio', url: 'http://127.0.0.1:1234/v1', kind: 'openai' });
    assert.deepEqual(await buttonLabels(), ['Retry', 'Select model'], 'no ollama pull for an OpenAI-compatible server');
  });

  it('when the built-in engine has no model, lists the suggested models with a Download each, and a file picker', async () => {
    await setup({ state: 'noModels', endpoint: 'Built-in', url: '', kind: 'embedded' });
    assert.match(await empty().innerText(), /The built-in engine has no model yet\.\s+Download a suggested small model/);
    const list = empty().getByRole('list', { name: 'Suggested models' });
    const rows = list.getByRole('listitem');
    assert.equal(await rows.count(), SUGGESTED_MODELS.length);
    for (const [i, m] of SUGGESTED_MODELS.entries()) {
      const text = await rows.nth(i).innerText();
      for (const part of [m.name, m.size, m.can]) assert.ok(text.includes(part), `row ${i} shows ${part}: ${text}`);
      assert.ok(!text.includes('huggingface.co'), 'the page shows no URL: the host looks it up');
    }
    assert.deepEqual(await buttonLabels(), [...SUGGESTED_MODELS.map(() => 'Download'), 'Pick a .gguf file…', 'Select model']);
    for (const width of [250, 420]) {
      await h.page.setViewportSize({ width, height: 640 });
      await h.page.screenshot({ path: join(shots, `empty-built-in-no-model-${width}.png`) });
    }
    // Each Download names its model (the only thing the host takes from the page); the last one, to be sure the
    // rows are not all wired to the first.
    const last = SUGGESTED_MODELS[SUGGESTED_MODELS.length - 1];
    await clickPosts(`Download ${last.name} (${last.size})`, { kind: 'downloadModel', label: 'Download', model: last.name });
    await clickPosts(`Download ${SUGGESTED_MODELS[0].name} (${SUGGESTED_MODELS[0].size})`, {
      kind: 'downloadModel',
      label: 'Download',
      model: SUGGESTED_MODELS[0].name,
    });
    await clickPosts('Pick a .gguf file…', { kind: 'pickModelFile', label: 'Pick a .gguf file…' });
  });

  it('when ready, welcomes with a keyboard hint and questions about the active file', async () => {
    await setup({ state: 'ready', endpoint: 'Ollama', model: 'qwen3:latest', activeFile: 'parser.ts' });
    const text = await empty().innerText();
    assert.match(text, /qwen3:latest/);
    assert.match(text, /Enter sends/);
    const examples = empty().locator('button.example');
    assert.deepEqual(await examples.allInnerTexts(), [
      'Explain what parser.ts does',
      'Find bugs in parser.ts',
      'Suggest tests for parser.ts',
    ]);
    for (const width of [250, 500]) {
      await h.page.setViewportSize({ width, height: 600 });
      await h.page.screenshot({ path: join(shots, `empty-ready-${width}.png`) });
    }
    await examples.nth(1).click();
    assert.deepEqual(await h.posted(), [
      { type: 'toggleContext', id: 'activeFile', enabled: true },
      { type: 'send', text: 'Find bugs in parser.ts' },
    ]);
  });

  it('without an active file, asks general questions and posts only the question', async () => {
    await setup({ state: 'ready', endpoint: 'Ollama', model: 'qwen3:latest' });
    const examples = empty().locator('button.example');
    assert.ok((await examples.count()) >= 2);
    assert.equal(await examples.first().innerText(), 'How do I write a unit test in TypeScript?');
    await examples.first().click();
    assert.deepEqual(await h.posted(), [{ type: 'send', text: 'How do I write a unit test in TypeScript?' }]);
  });

  it('renders host text as text, never as markup', async () => {
    await setup({ state: 'unreachable', endpoint: '<img src=x onerror="window.__pwned=1">', url: '<b>u</b>', kind: 'openai' });
    assert.equal(await empty().locator('img, b').count(), 0);
    assert.match(await empty().innerText(), /<img src=x/);
    assert.equal(await h.page.evaluate(() => (window as any).__pwned), undefined);
  });

  it('gives way to the conversation once a message arrives, and comes back for an empty one', async () => {
    await setup({ state: 'ready', endpoint: 'Ollama', model: 'qwen3:latest' });
    assert.equal(await empty().isVisible(), true);
    await h.send({ type: 'messageAdded', message: { id: 'u1', role: 'user', text: 'Hi', state: 'done', seq: 0 } });
    assert.equal(await empty().isVisible(), false);
    assert.equal(await h.page.locator('article[data-role="user"]').isVisible(), true);
    await h.send({ type: 'snapshot', messages: [], busy: false, model });
    assert.equal(await empty().isVisible(), true);
    assert.equal(await h.page.locator('article').count(), 0);
  });
});
