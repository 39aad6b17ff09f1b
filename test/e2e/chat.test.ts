/**
 * The packaged .vsix in a real VS Code (code-server), driven as a user would, against the local
 * Ollama-speaking test server. Each journey saves a screenshot to test-output/e2e/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { everythingBin, fakeServerScript } from '../fakes/mcpServers';
import { answerLines, atRate, FakeOllama, paced } from '../fakes/ollamaServer';
import { CodeServer } from './codeServer';
import { messageBox, sendMessage } from './messageBox';

const T = { timeout: 90_000 };
const server = new FakeOllama();
const vscode = new CodeServer();
let chat: Frame;
/** Numbers measured from outside, printed at the end (not pass/fail unless they are functional bounds). */
const metrics: Record<string, string> = {};

const MARKDOWN_ANSWER = ['## Steps\n\n', 'Use **bold** ', 'and `code`.\n\n', '```ts\n', 'const x = 1;\n', '```\n\n', '- one\n', '- two\n'];
const lastAnswer = () => chat.locator('article[data-role="assistant"]').last();

let answersBefore = 0;
/** Sends from the message box; `waitState` then waits for the answer to *this* question. */
async function send(text: string): Promise<void> {
  answersBefore = await chat.locator('article[data-role="assistant"]').count();
  await sendMessage(chat, text);
}
async function waitState(state: string, timeout = 20_000): Promise<void> {
  // Attached, not visible: a round that only called tools has an empty answer, which is hidden.
  await chat.locator('article[data-role="assistant"]').nth(answersBefore).waitFor({ timeout, state: 'attached' });
  await chat.locator(`article[data-role="assistant"]:last-of-type[data-state="${state}"]`).waitFor({ timeout, state: 'attached' });
}
async function newChat(): Promise<void> {
  await vscode.runCommand('Model Chat: New chat');
  await chat.locator('article').first().waitFor({ state: 'detached' });
}

describe('Model Chat in a real VS Code (code-server)', { timeout: 15 * 60_000 }, () => {
  before(async () => {
    await server.start();
    server.models = [
      { name: 'test-model:latest', parameter_size: '1B', quantization_level: 'Q4_K_M' },
      { name: 'second-model:latest', parameter_size: '7B' },
    ];
    await vscode.start(
      {
        'modelChat.endpoints': [{ name: 'E2E Ollama', type: 'ollama', url: server.url }],
        'modelChat.mcp.servers': { everything: { type: 'stdio', command: process.execPath, args: [everythingBin()] } },
      },
      {
        'src/sample.py': 'def add(a, b):\n    return a + b\n\nprint(add(2, 3))\n',
        'src/other.py': '# the other file\nVALUE = 42\n',
        // A workspace server: trusted here (test/e2e/trust.test.ts opens the same in Restricted Mode).
        '.vscode/mcp.json': JSON.stringify({ servers: { fake: { type: 'stdio', command: process.execPath, args: [fakeServerScript] } } }),
      },
    );
  });
  after(async () => {
    console.log('\nMeasured in the real editor:');
    for (const [k, v] of Object.entries(metrics)) console.log(`  ${k}: ${v}`);
    await vscode.stop();
    await server.stop();
  });

  it('the installed .vsix adds a Model Chat view to the activity bar, naming the model in use', T, async () => {
    chat = await vscode.openChat();
    await chat.locator('.model-picker', { hasText: 'E2E Ollama · test-model:latest' }).waitFor({ timeout: 15_000 });
    await vscode.page.locator('.statusbar-item', { hasText: 'test-model:latest' }).first().waitFor({ timeout: 10_000 });
    await vscode.screenshot('01-open');
  });

  it('streams an answer rendered as markdown; a follow-up carries the conversation', T, async () => {
    server.onChat = (body) => ({ steps: paced(answerLines(body.model, MARKDOWN_ANSWER), 40) });
    const started = performance.now();
    await send('Show me some markdown');
    await chat.locator('article[data-role="assistant"] .markdown h2').waitFor();
    metrics['Enter to first text in the webview'] = `${(performance.now() - started).toFixed(0)} ms (includes Playwright's polling)`;
    await waitState('done');
    const answer = lastAnswer();
    assert.equal(await answer.locator('.markdown h2').textContent(), 'Steps');
    assert.equal(await answer.locator('.markdown strong').textContent(), 'bold');
    assert.equal(await answer.locator('.markdown pre code').textContent(), 'const x = 1;\n');
    assert.equal(await answer.locator('.markdown li').count(), 2);
    await vscode.screenshot('02-answer');

    server.onChat = (body) => ({ steps: answerLines(body.model, ['Sure.']) });
    await send('And a follow-up?');
    await waitState('done');
    const body = server.chatRequests.at(-1)!.body;
    assert.deepEqual(
      body.messages.map((m: { role: string }) => m.role),
      ['user', 'assistant', 'user'],
    );
    assert.equal(body.messages[1].content, MARKDOWN_ANSWER.join(''));
  });

  it('Stop mid-answer closes the connection at the server and keeps the partial answer as stopped', T, async () => {
    await newChat();
    const tokens = Array.from({ length: 400 }, (_, i) => `word${i} `);
    server.onChat = (body) => ({ steps: paced(answerLines(body.model, tokens), 50), hang: true });
    server.closed.length = 0;
    await send('Write a lot');
    await chat.locator('article[data-role="assistant"] .markdown p').waitFor();
    await chat.waitForFunction(() =>
      (document.querySelector('article[data-role="assistant"] .markdown')?.textContent ?? '').includes('word5 '),
    );
    const stopButton = chat.locator('button[aria-label="Stop"]');
    assert.equal(await stopButton.isVisible(), true);
    assert.equal(await stopButton.isEnabled(), true);
    // Enter while the answer is written sends nothing, keeps the text and says why.
    const requests = server.chatRequests.length;
    await messageBox(chat).fill('And one more');
    await messageBox(chat).press('Enter');
    const notice = chat.locator('[role="status"] .notice-text', { hasText: 'still being written' });
    await notice.waitFor({ timeout: 10_000 });
    await vscode.screenshot('03-still-answering');
    assert.equal(await messageBox(chat).inputValue(), 'And one more');
    assert.equal(server.chatRequests.length, requests, 'nothing was sent');
    const clicked = performance.now();
    await stopButton.click();
    await server.until(() => server.closed.length > 0, 5000);
    metrics['Stop click to server-side socket close'] = `${(server.closed[0].at - clicked).toFixed(0)} ms`;
    await waitState('stopped');
    const text = (await lastAnswer().locator('.markdown').textContent()) ?? '';
    assert.match(text, /^word0 word1 word2 word3 word4 word5/);
    assert.ok(!text.includes('word399'), 'the answer was cut short');
    assert.equal(await chat.locator('button[aria-label="Send"]').isVisible(), true);
    await notice.waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal(await messageBox(chat).inputValue(), 'And one more', 'the text is still there to send');
    await messageBox(chat).fill('');
    await vscode.screenshot('03-stopped');
  });

  it('at 1,000 tokens/s the answer is updated no more often than the cap (20 a second)', T, async () => {
    await newChat();
    const tokens = Array.from({ length: 3000 }, (_, i) => (i % 50 === 49 ? `t${i}\n\n` : `t${i} `));
    server.onChat = (body) => ({ steps: atRate(answerLines(body.model, tokens), 1000) });
    await send('Stream fast');
    await chat.locator('article[data-role="assistant"]').waitFor();
    await chat.evaluate(() => {
      const w = window as unknown as { __updates: number[] };
      w.__updates = [];
      const target = document.querySelector('article[data-role="assistant"]')!;
      new MutationObserver(() => w.__updates.push(performance.now())).observe(target, {
        childList: true,
        subtree: true,
        characterData: true,
      });
    });
    await waitState('done', 30_000);
    const updates = await chat.evaluate(() => (window as unknown as { __updates: number[] }).__updates);
    let maxInSecond = 0;
    for (let i = 0, j = 0; i < updates.length; i++) {
      while (updates[i] - updates[j] >= 1000) j++;
      maxInSecond = Math.max(maxInSecond, i - j + 1);
    }
    metrics['DOM updates in any second at 1,000 tokens/s (cap 20)'] = `${maxInSecond} (${updates.length} over the stream)`;
    assert.ok(maxInSecond <= 20, `at most 20 DOM updates a second, saw ${maxInSecond}`);
    assert.ok(updates.length >= 20, 'and it did keep updating');
    const text = (await lastAnswer().locator('.markdown').textContent()) ?? '';
    assert.ok(text.includes('t0 ') && text.includes('t2999'), 'nothing lost');
  });

  it('hiding and showing the view during a stream loses nothing', T, async () => {
    await newChat();
    const tokens = Array.from({ length: 80 }, (_, i) => `h${i} `);
    server.onChat = (body) => ({ steps: paced(answerLines(body.model, tokens), 40) });
    await send('Keep going while hidden');
    await chat.waitForFunction(() =>
      (document.querySelector('article[data-role="assistant"] .markdown')?.textContent ?? '').includes('h3 '),
    );
    await vscode.page.locator('.activitybar [aria-label^="Explorer"]').first().click();
    await new Promise((r) => setTimeout(r, 1200));
    await vscode.screenshot('04-hidden');
    chat = await vscode.openChat();
    await waitState('done');
    assert.equal(((await lastAnswer().locator('.markdown').textContent()) ?? '').trim(), tokens.join('').trim());
    assert.equal(await chat.locator('article[data-role="user"]').count(), 1);
    await vscode.screenshot('05-shown-again');
  });

  it('Ask model from the command palette sends the question with the editor selection', T, async () => {
    await newChat();
    server.onChat = (body) => ({ steps: answerLines(body.model, ['It adds ', 'two numbers.']) });
    await vscode.quickOpen('sample.py');
    await vscode.page.keyboard.press('Enter');
    await vscode.page.locator('.monaco-editor .view-lines', { hasText: 'def add' }).first().click();
    await vscode.page.keyboard.press('Control+A');
    answersBefore = 0;
    await vscode.runCommand('Model Chat: Ask model');
    // The Ask model box itself (by its placeholder), not the palette that is closing.
    await vscode.page.locator('.quick-input-widget input[placeholder="Explain this code"]').fill('What does this do?');
    await vscode.page.keyboard.press('Enter');
    chat = await vscode.chatFrame();
    await waitState('done');
    const sent = server.chatRequests.at(-1)!.body.messages.at(-1);
    assert.equal(sent.role, 'user');
    // The selection goes as context before the question, and shows as a chip under it.
    assert.match(sent.content, /^Selection: src\/sample\.py \(lines 1-4\)\n```python\ndef add\(a, b\):[\s\S]*```\n\nWhat does this do\?$/);
    assert.equal(await lastAnswer().locator('.markdown').textContent(), 'It adds two numbers.\n');
    const question = chat.locator('article[data-role="user"]').last();
    assert.equal(await question.locator('.markdown').textContent(), 'What does this do?\n');
    assert.match((await question.locator('.message-context').textContent()) ?? '', /sample\.py:1-4/);
    await vscode.screenshot('06-ask-model');
  });

  it('a code block inserts at the cursor in the editor, and a workspace link opens the file', T, async () => {
    await newChat();
    server.onChat = (body) => ({
      steps: answerLines(body.model, [
        'Here:\n\n',
        '```python\n',
        'def inserted():\n    return "from the chat"\n',
        '```\n\n',
        'See [the other file](src/other.py#L2).\n',
      ]),
    });
    await send('Give me code');
    await waitState('done');
    const pre = lastAnswer().locator('.markdown pre');
    await pre.locator('code .hljs-keyword').first().waitFor({ timeout: 10_000 });
    await vscode.page.locator('.monaco-editor .view-lines', { hasText: 'def add' }).first().click();
    await vscode.page.keyboard.press('Control+End');
    await pre.hover();
    await vscode.screenshot('07-code-block');
    await pre.locator('button[aria-label="Insert at cursor"]').click();
    await vscode.page.locator('.monaco-editor .view-lines', { hasText: 'def inserted' }).first().waitFor({ timeout: 10_000 });
    await lastAnswer().locator('.markdown a', { hasText: 'the other file' }).click();
    await vscode.page.locator('.tabs-container .tab.active', { hasText: 'other.py' }).waitFor({ timeout: 10_000 });
    await vscode.page.locator('.monaco-editor .view-lines', { hasText: 'VALUE = 42' }).first().waitFor();
  });

  it('Stop generating from the command palette stops the answer too', T, async () => {
    server.onChat = (body) => ({
      steps: paced(
        answerLines(
          body.model,
          Array.from({ length: 200 }, (_, i) => `x${i} `),
        ),
        50,
      ),
      hang: true,
    });
    server.closed.length = 0;
    await send('Another long one');
    await chat.waitForFunction(() =>
      (document.querySelector('article[data-role="assistant"]:last-of-type .markdown')?.textContent ?? '').includes('x3 '),
    );
    await vscode.runCommand('Model Chat: Stop generating');
    await server.until(() => server.closed.length > 0, 5000);
    await waitState('stopped');
  });

  it('runs an MCP tool after the user allows it, with live progress, and answers with its result', T, async () => {
    await newChat();
    const op = { function: { name: 'trigger-long-running-operation', arguments: { duration: 3, steps: 6 } } };
    server.onChat = (body) =>
      body.messages.at(-1).role === 'tool'
        ? { steps: answerLines(body.model, ['The operation finished in six steps.']) }
        : { steps: answerLines(body.model, [], { toolCalls: [op] }) };
    await send('Run the long operation');
    const card = chat.locator('[data-tool="trigger-long-running-operation"]');
    await card.waitFor({ timeout: 60_000 });
    assert.equal(await card.getAttribute('data-state'), 'pending', 'asks first (modelChat.tools.approval is "ask")');
    await vscode.screenshot('10-tool-approval');
    const offered = server.chatRequests.at(-1)!.body.tools.map((t: { function: { name: string } }) => t.function.name);
    assert.ok(
      offered.includes('trigger-long-running-operation') && offered.includes('whoami'),
      "tools from the settings and from the trusted workspace's .vscode/mcp.json",
    );
    await card.locator('button[aria-label="Allow"]').click();
    const bar = chat.locator('[data-tool="trigger-long-running-operation"][data-state="running"] progress');
    await bar.waitFor({ timeout: 10_000 });
    // A call still running after 1.5 s also shows in VS Code's own progress UI, with Cancel.
    const toast = vscode.page.locator('.notification-toast', { hasText: 'Model Chat: trigger-long-running-operation' });
    const toastSeen = toast
      .first()
      .waitFor({ timeout: 5_000 })
      .then(() => toast.first().getByRole('button', { name: 'Cancel' }).count());
    const seen: number[] = [];
    for (let i = 0; i < 40 && (await card.getAttribute('data-state')) === 'running'; i++) {
      const v = await bar.evaluate((b: HTMLProgressElement) => b.value).catch(() => undefined);
      if (v !== undefined && v !== seen.at(-1)) seen.push(v);
      if (seen.length === 3) await vscode.screenshot('11-tool-progress');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(seen.length >= 2, `the <progress> moved (${seen.join(', ')})`);
    assert.equal(await toastSeen, 1, 'the progress notification appeared, cancellable');
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      seen,
      'and only forward',
    );
    await chat.locator('[data-tool="trigger-long-running-operation"][data-state="done"]').waitFor({ timeout: 15_000 });
    await waitState('done');
    assert.equal((await lastAnswer().locator('.markdown').textContent())?.trim(), 'The operation finished in six steps.');
    const toolMessage = server.chatRequests.at(-1)!.body.messages.at(-1);
    assert.equal(toolMessage.role, 'tool');
    assert.match(toolMessage.content, /Long running operation completed/i);
    await vscode.screenshot('12-tool-done');
  });

  it('Select model switches the model the next question goes to', T, async () => {
    await vscode.runCommand('Model Chat: Select model');
    const row = vscode.page.locator('.quick-input-list .monaco-list-row', { hasText: 'second-model:latest' }).first();
    await row.waitFor();
    await vscode.screenshot('08-select-model');
    await row.click();
    await chat.locator('.model-picker', { hasText: 'second-model:latest' }).waitFor();
    await vscode.page.locator('.statusbar-item', { hasText: 'second-model:latest' }).first().waitFor({ timeout: 10_000 });
    server.onChat = (body) => ({ steps: answerLines(body.model, [`I am ${body.model}.`]) });
    await send('Who are you?');
    await waitState('done');
    assert.equal(server.chatRequests.at(-1)!.body.model, 'second-model:latest');
  });

  it('a model that is not installed shows an actionable error in the chat', T, async () => {
    server.onChat = (body) => ({ status: 404, error: `model '${body.model}' not found` });
    await send('Hello?');
    await waitState('error');
    const error = lastAnswer().locator('.error');
    assert.match((await error.textContent()) ?? '', /ollama pull second-model:latest/);
    assert.equal(await error.getByRole('button', { name: 'Run ollama pull second-model:latest' }).count(), 1);
    await vscode.screenshot('09-error');
  });

  it('reloading the window keeps the conversation', T, async () => {
    const describe = () =>
      chat
        .locator('article')
        .evaluateAll((els) =>
          els.map(
            (e) =>
              `${(e as HTMLElement).dataset.role}/${(e as HTMLElement).dataset.state}: ${e.querySelector('.markdown')?.textContent?.trim()}`,
          ),
        );
    const before = await describe();
    assert.ok(before.length >= 4, 'there is a conversation to keep');
    // In code-server, Reload Window reloads the page: a new workbench and a new extension host.
    await vscode.page.reload();
    await vscode.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    chat = await vscode.openChat();
    await chat
      .locator('article')
      .nth(before.length - 1)
      .waitFor({ timeout: 30_000, state: 'attached' })
      .catch(async (e) => {
        await vscode.screenshot('13-after-reload-failed');
        throw e;
      });
    assert.deepEqual(await describe(), before);
    await vscode.screenshot('13-after-reload');
  });
});
