/**
 * The `/` menu of MCP prompts in the real page (the built bundle under its CSP, in Chromium), driven by the
 * keyboard as a user would: typing `/` asks the host, arrows move, Enter chooses, Escape closes; a prompt with
 * arguments asks for them (required marked, checked), and the host's filled text replaces the draft.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PromptInfo, WebviewToHost } from '../../src/shared/protocol';
import { WebviewHarness } from './harness';

const shots = join(__dirname, '..', '..', 'test-output', 'webview');

const prompts: PromptInfo[] = [
  {
    server: 'everything',
    name: 'args-prompt',
    title: 'Arguments Prompt',
    description: 'A prompt with two arguments',
    arguments: [{ name: 'city', description: 'Name of the city', required: true }, { name: 'state' }],
  },
  { server: 'everything', name: 'simple-prompt', title: 'Simple Prompt', description: 'A prompt with no arguments', arguments: [] },
  { server: 'git', name: 'summarize-diff', description: 'Summarize the staged changes', arguments: [] },
];

describe('the / menu of MCP prompts in headless Chromium', () => {
  const h = new WebviewHarness();
  const box = () => h.page.getByRole('textbox', { name: 'Message' });
  const listbox = () => h.page.getByRole('listbox', { name: 'Prompts' });
  const options = () => listbox().getByRole('option');
  const posts = async (type: WebviewToHost['type']) => (await h.posted()).filter((m) => typeof m === 'object' && m.type === type);

  before(async () => {
    await h.start({ width: 420, height: 700 });
    await h.send({ type: 'snapshot', busy: false, model: { endpoint: 'E', model: 'm' }, messages: [] });
  });
  after(() => h.stop());

  it('asks the host when / is typed and lists the prompts as options', async () => {
    await h.clearPosted();
    await box().focus();
    await h.page.keyboard.type('/');
    await h.page.waitForFunction(() => (window as any).__posted.some((m: { type?: string }) => m.type === 'listPrompts'));
    await h.page.getByText('Looking for prompts…').waitFor();
    await h.send({ type: 'prompts', prompts });
    await options().first().waitFor();
    assert.deepEqual(await options().evaluateAll((els) => els.map((e) => e.querySelector('.slash-name')!.textContent)), [
      '/args-prompt',
      '/simple-prompt',
      '/summarize-diff',
    ]);
    assert.equal(await box().getAttribute('aria-expanded'), 'true');
    assert.equal(await box().getAttribute('aria-activedescendant'), await options().first().getAttribute('id'));
    assert.equal(await options().first().getAttribute('aria-selected'), 'true');
    await h.page.screenshot({ path: join(shots, 'slash-menu.png') });
  });

  it('filters as the user types and moves with the arrows (wrapping)', async () => {
    await h.page.keyboard.type('s');
    // "s" is in every name or server; those starting with it come first.
    assert.equal(await options().first().locator('.slash-name').textContent(), '/simple-prompt');
    await h.page.keyboard.type('um');
    assert.equal(await options().count(), 1);
    assert.equal(await options().first().locator('.slash-server').textContent(), 'git');
    await h.page.keyboard.press('Backspace');
    await h.page.keyboard.press('Backspace');
    await h.page.keyboard.press('Backspace');
    await h.page.keyboard.press('ArrowDown');
    assert.equal(await options().nth(1).getAttribute('aria-selected'), 'true');
    await h.page.keyboard.press('ArrowUp');
    await h.page.keyboard.press('ArrowUp');
    assert.equal(await options().nth(2).getAttribute('aria-selected'), 'true', 'Up from the first goes to the last');
    assert.equal(await box().getAttribute('aria-activedescendant'), await options().nth(2).getAttribute('id'));
  });

  it('Escape closes the menu without sending, and the text stays', async () => {
    await h.clearPosted();
    await h.page.keyboard.press('Escape');
    assert.equal(await listbox().isVisible(), false);
    assert.equal(await box().inputValue(), '/');
    assert.equal(await box().getAttribute('aria-expanded'), 'false');
    assert.deepEqual(await posts('send'), []);
  });

  it('Enter on a prompt without arguments asks the host for it, and its text replaces the draft', async () => {
    await box().fill('');
    await h.page.keyboard.type('/simp');
    await options().first().waitFor();
    await h.clearPosted();
    await h.page.keyboard.press('Enter');
    assert.deepEqual(await posts('usePrompt'), [{ type: 'usePrompt', server: 'everything', name: 'simple-prompt', arguments: {} }]);
    assert.deepEqual(await posts('send'), [], 'Enter chose the prompt; it did not send "/simp"');
    await h.send({ type: 'promptFilled', text: 'This is a simple prompt without arguments.' });
    assert.equal(await box().inputValue(), 'This is a simple prompt without arguments.');
    assert.equal(await h.page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Message');
  });

  it('asks for the arguments of a prompt that has them, required checked, then sends them', async () => {
    await box().fill('');
    await h.page.keyboard.type('/args');
    await options().first().waitFor();
    await h.clearPosted();
    await h.page.keyboard.press('Enter');
    const form = h.page.locator('[data-prompt-form="everything/args-prompt"]');
    await form.waitFor();
    assert.equal(await form.getAttribute('data-elicitation'), null, 'not a server request: the contract keeps that attribute for those');
    const city = form.getByLabel('city', { exact: true });
    assert.equal(await h.page.evaluate(() => document.activeElement?.id), await city.getAttribute('id'), 'the first field has the focus');
    assert.equal(await city.evaluate((e) => (e as HTMLInputElement).required), true);
    assert.equal(await form.getByLabel('state', { exact: true }).evaluate((e) => (e as HTMLInputElement).required), false);
    await h.page.screenshot({ path: join(shots, 'slash-arguments.png') });
    await form.getByRole('button', { name: 'Submit' }).click();
    assert.deepEqual(await posts('usePrompt'), [], 'city is required');
    await city.fill('Lisbon');
    await city.press('Enter');
    assert.deepEqual(await posts('usePrompt'), [
      { type: 'usePrompt', server: 'everything', name: 'args-prompt', arguments: { city: 'Lisbon' } },
    ]);
    assert.deepEqual(await posts('send'), []);
    assert.equal(await form.count(), 0, 'the form goes once answered');
    await h.send({ type: 'promptFilled', text: "What's weather in Lisbon?" });
    assert.equal(await box().inputValue(), "What's weather in Lisbon?");
  });

  it('Escape in the arguments form closes it and gives the focus back to the box', async () => {
    await box().fill('');
    await h.page.keyboard.type('/args');
    await options().first().waitFor();
    await h.page.keyboard.press('Tab');
    const form = h.page.locator('[data-prompt-form="everything/args-prompt"]');
    await form.waitFor();
    await h.page.keyboard.press('Escape');
    assert.equal(await form.count(), 0);
    assert.equal(await h.page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Message');
  });

  it('a list that changes while open is shown at once; no prompts says so', async () => {
    await box().fill('');
    await h.page.keyboard.type('/');
    await options().first().waitFor();
    await h.send({ type: 'prompts', prompts: [] });
    await h.page.getByText('Your MCP servers offer no prompts').waitFor();
    assert.equal(await options().count(), 0);
    assert.equal(await box().getAttribute('aria-expanded'), 'false');
    // Text after a space is a question, not a command: no menu.
    await h.send({ type: 'prompts', prompts });
    await h.page.keyboard.type('args please');
    assert.equal(await listbox().isVisible(), false);
  });
});
