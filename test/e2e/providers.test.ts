/**
 * Issue 15, part 2 in the real editor: the seed providers' wire quirks, each replayed byte for byte from
 * test/fixtures/providers/ (sources in its README) by a loopback server configured as a `type: "openai"`
 * endpoint, through the packaged .vsix in code-server, driven as a user would. OpenRouter's mid-stream error
 * and reasoning, DeepSeek's reasoning_content, Perplexity's sources, an answer cut at the token limit, and a
 * Gemini tool call (MCP server-everything's echo) whose follow-up must carry the thought_signature back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import { CONTINUE_PROMPT } from '../../src/streaming/chat/chatSession';
import { everythingBin } from '../fakes/mcpServers';
import { FakeOpenAI } from '../fakes/openaiServer';
import { GEMINI_SIGNATURE, geminiScript, replay } from '../fakes/providerReplay';
import { CodeServer } from './codeServer';
import { sendMessage } from './messageBox';

const T = { timeout: 120_000 };

/** One loopback server per provider, so each endpoint in the settings carries the provider's name. */
const openRouter = new FakeOpenAI();
const perplexity = new FakeOpenAI();
const gemini = new FakeOpenAI();
const deepSeek = new FakeOpenAI();
const openAI = new FakeOpenAI();
const servers = [openRouter, perplexity, gemini, deepSeek, openAI];

describe('the seed providers’ quirks in a real VS Code (code-server)', { timeout: 15 * 60_000 }, () => {
  const vscode = new CodeServer();
  const opened: string[] = [];
  let chat: Frame;

  before(async () => {
    await Promise.all(servers.map((s) => s.start()));
    openRouter.models = ['deepseek/deepseek-r1'];
    perplexity.models = ['sonar'];
    gemini.models = ['gemini-2.5-flash'];
    deepSeek.models = ['deepseek-reasoner'];
    openAI.models = ['gpt-4.1'];
    await vscode.start({
      'modelChat.endpoints': [
        { name: 'OpenRouter', type: 'openai', url: openRouter.url },
        { name: 'Perplexity', type: 'openai', url: perplexity.url },
        { name: 'Gemini', type: 'openai', url: gemini.url },
        { name: 'DeepSeek', type: 'openai', url: deepSeek.url },
        { name: 'OpenAI', type: 'openai', url: openAI.url },
      ],
      'modelChat.mcp.servers': { everything: { type: 'stdio', command: process.execPath, args: [everythingBin()] } },
      'modelChat.tools.approval': 'always',
    });
    // openExternal in code-server opens a browser page; so would VS Code's own webview link handler.
    vscode.page.context().on('page', (p: Page) => opened.push(p.url() || 'about:blank'));
    chat = await vscode.openChat();
    // Off the activity bar, so its hover label does not cover the chat in the screenshots.
    await vscode.page.mouse.move(800, 600);
  });
  after(async () => {
    await vscode.stop();
    await Promise.all(servers.map((s) => s.stop()));
  });

  const answers = () => chat.locator('article[data-role="assistant"]');
  let answersBefore = 0;
  /** Sends from the message box; `waitState` then waits for the answer to *this* question. */
  async function send(text: string): Promise<void> {
    answersBefore = await answers().count();
    await sendMessage(chat, text);
  }
  async function waitState(state: string, timeout = 30_000): Promise<void> {
    await answers().nth(answersBefore).waitFor({ timeout, state: 'attached' });
    await chat.locator(`article[data-role="assistant"]:last-of-type[data-state="${state}"]`).waitFor({ timeout, state: 'attached' });
  }
  /** A new chat on `model` of `endpoint`, picked with Select model as a user would. */
  async function useModel(endpoint: string, model: string): Promise<void> {
    if (await chat.locator('article').count()) {
      await vscode.runCommand('Model Chat: New chat');
      await chat.locator('article').first().waitFor({ state: 'detached' });
    }
    await vscode.runCommand('Model Chat: Select model');
    const row = vscode.page.locator('.quick-input-list .monaco-list-row', { hasText: model }).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    await chat.locator('.model-picker', { hasText: `${endpoint} · ${model}` }).waitFor({ timeout: 10_000 });
  }

  it(
    'OpenRouter: a mid-stream error keeps the partial answer, shows the server’s message, and Retry answers with reasoning',
    T,
    async () => {
      openRouter.onChat = (_body, i) => replay(i === 0 ? 'openrouter-midstream-error' : 'openrouter-reasoning-comments');
      await chat.locator('.model-picker', { hasText: 'OpenRouter · deepseek/deepseek-r1' }).waitFor({ timeout: 15_000 });
      await send('Explain the borrow checker');
      await waitState('error');
      const failed = answers().last();
      assert.equal(
        (await failed.locator('.markdown').textContent())?.trim(),
        "Rust's borrow checker enforces that every value has one owner",
      );
      assert.match((await failed.locator('.error').textContent()) ?? '', /Provider disconnected unexpectedly/);
      const retry = failed.locator('.error').getByRole('button', { name: 'Retry' });
      assert.equal(await retry.count(), 1);
      await vscode.screenshot('providers-openrouter-error');

      await retry.click();
      await openRouter.until(() => openRouter.chatRequests.length === 2, 10_000);
      await chat.locator('article[data-role="assistant"][data-state="done"]').waitFor({ timeout: 30_000 });
      assert.equal(await answers().count(), 1, 'the answer asked again replaces the failed one');
      assert.deepEqual(openRouter.chatRequests[1].body.messages, openRouter.chatRequests[0].body.messages, 'the same question again');
      const answer = answers().last();
      assert.equal((await answer.locator('.markdown').textContent())?.trim(), 'The capital of France is Paris.');
      assert.equal(await answer.locator('.error').count(), 0);
      const thinking = answer.locator('details.thinking');
      await thinking.locator('summary').click();
      assert.match((await thinking.textContent()) ?? '', /The user asks for the capital of France\. That is Paris\./);
      await vscode.screenshot('providers-openrouter-retry-thinking');
    },
  );

  it('DeepSeek: reasoning_content shows in the Thinking section, apart from the answer', T, async () => {
    deepSeek.onChat = () => replay('deepseek-reasoning-content');
    await useModel('DeepSeek', 'deepseek-reasoner');
    await send('Which is larger, 9.11 or 9.8?');
    await waitState('done');
    const answer = answers().last();
    assert.equal((await answer.locator('.markdown').textContent())?.trim(), '9.8 is greater than 9.11.');
    const thinking = answer.locator('details.thinking');
    assert.equal(await thinking.getAttribute('open'), null, 'collapsed');
    await thinking.locator('summary').click();
    assert.equal(
      (await thinking.locator('.thinking-body').textContent())?.trim(),
      '9.11 and 9.8: compare the tenths. 8 > 1, so 9.8 is larger.',
    );
    await vscode.screenshot('providers-deepseek-thinking');
  });

  it('Perplexity: the sources show under the answer as links, open once through the host, and go with Copy', T, async () => {
    perplexity.onChat = () => replay('perplexity-citations');
    await useModel('Perplexity', 'sonar');
    await send('How tall is Everest?');
    await waitState('done');
    const answer = answers().last();
    assert.equal(
      (await answer.locator('.markdown').textContent())?.trim(),
      'Mount Everest is 8,849 m tall[1]. It lies on the border of Nepal and China[2].',
    );
    const sources = answer.locator('[data-ui="sources"]');
    assert.deepEqual(await sources.locator('a').evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')])), [
      ['Mount Everest - Wikipedia', 'https://en.wikipedia.org/wiki/Mount_Everest'],
      ['Mount Everest | Height, Location, Map, Facts, Climbers, & Deaths | Britannica', 'https://www.britannica.com/place/Mount-Everest'],
    ]);
    await vscode.screenshot('providers-perplexity-sources');

    // Copy takes the answer's markdown with the sources listed after it.
    await answer.hover();
    await answer.getByRole('button', { name: 'Copy' }).click();
    await waitUntil(async () => /Sources:\n\n1\. \[Mount Everest - Wikipedia\]/.test(await vscode.clipboard().catch(() => '')));
    assert.ok((await vscode.clipboard()).startsWith('Mount Everest is 8,849 m tall[1].'));

    // A click goes through the host: VS Code asks before opening a site it does not trust yet, then one page opens.
    for (const [i, title] of ['Mount Everest - Wikipedia', 'Britannica'].entries()) {
      await sources.locator('a', { hasText: title }).click();
      await openThroughDialog(() => opened.length > i, i === 0 ? 'providers-perplexity-open-dialog' : undefined);
      // The second click is the barrier for the first: once its page opened, a duplicate of the first would have too.
      if (i === 1) assert.equal(opened.length, 2, `one page per click, got ${JSON.stringify(opened)}`);
    }
    for (const p of vscode.page.context().pages()) if (p !== vscode.page) await p.close();
  });

  it('cut at the token limit: the note says so under the answer, and Continue sends a follow-up', T, async () => {
    openAI.onChat = (_body, i) => replay(i === 0 ? 'length' : 'openai-reasoning-usage');
    await useModel('OpenAI', 'gpt-4.1');
    await send('How do I set it up?');
    await waitState('done');
    // By position: after Continue, the last answer is the new one.
    const cutAnswer = answers().nth(answersBefore);
    assert.deepEqual(await cutAnswer.locator('.markdown ol li').allTextContents(), ['Install the package', 'Configure']);
    const note = cutAnswer.locator('[data-ui="cut"]');
    assert.match((await note.textContent()) ?? '', /token limit/);
    const button = note.getByRole('button', { name: 'Continue' });
    assert.equal(await button.isVisible(), true);
    await vscode.screenshot('providers-length-cut');

    answersBefore = await answers().count();
    await button.click();
    await waitState('done');
    assert.deepEqual(
      openAI.chatRequests[1].body.messages.slice(-2).map((m: { role: string; content: string }) => [m.role, m.content]),
      [
        ['assistant', 'Here are the steps:\n\n1. Install the package\n2. Configure'],
        ['user', CONTINUE_PROMPT],
      ],
    );
    assert.equal((await answers().last().locator('.markdown').textContent())?.trim(), 'Use a hash map: O(n) time.');
    assert.equal(await answers().last().locator('[data-ui="cut"]').count(), 0, 'a complete answer has no note');
    assert.equal(await button.isVisible(), false, 'Continue is only on the last answer');
    await vscode.screenshot('providers-length-continued');
  });

  it('Gemini: the tool call runs and the follow-up, carrying the thought_signature back, is accepted', T, async () => {
    gemini.onChat = (body) => geminiScript(body);
    await useModel('Gemini', 'gemini-2.5-flash');
    await send('Echo hello');
    await chat.locator('[data-tool="echo"][data-state="done"]').waitFor({ timeout: 60_000 });
    await waitState('done');
    assert.equal(await chat.locator('article[data-state="error"]').count(), 0, 'Gemini did not answer 400');
    assert.equal((await answers().last().locator('.markdown').textContent())?.trim(), 'The echo tool said: hello from gemini.');
    const round2 = gemini.chatRequests[1].body.messages;
    const call = round2.find((m: any) => m.role === 'assistant' && m.tool_calls).tool_calls[0];
    assert.equal(call.id, 'jm4owj31');
    assert.equal(call.extra_content.google.thought_signature, GEMINI_SIGNATURE);
    const result = round2.find((m: any) => m.role === 'tool');
    assert.equal(result.tool_call_id, 'jm4owj31');
    assert.match(result.content, /hello from gemini/);
    await vscode.screenshot('providers-gemini-tool');

    // A later question sends the earlier call back with its signature too (else Gemini refuses the whole request).
    await send('And what did it say?');
    await waitState('done');
    const later = gemini.chatRequests.at(-1)!.body.messages.find((m: any) => m.role === 'assistant' && m.tool_calls);
    assert.equal(later?.tool_calls[0].extra_content.google.thought_signature, GEMINI_SIGNATURE);
    await vscode.screenshot('providers-gemini-follow-up');
  });

  /**
   * Waits for `done` (a page opened); VS Code's "open external website?" dialog for a domain it does not
   * trust may come first, and is answered Open as a user would.
   */
  async function openThroughDialog(done: () => boolean, screenshot?: string): Promise<void> {
    const dialog = vscode.page.locator('.monaco-dialog-box');
    await waitUntil(async () => done() || (await dialog.isVisible().catch(() => false)), 15_000);
    if (!done()) {
      if (screenshot) await vscode.screenshot(screenshot);
      await dialog.getByRole('button', { name: 'Open', exact: true }).click();
      await waitUntil(async () => done(), 15_000);
    }
  }
});

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
