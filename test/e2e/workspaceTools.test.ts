/**
 * Issue 18, point 2 in the real editor: the model (the Ollama-speaking test server) searches the workspace,
 * reads a file and proposes an edit through the built-in workspace tools. With approval `readOnly` the
 * search and the read run at once; the edit asks, then waits in VS Code's diff review and the file is
 * written only after Accept. A terminal command asks whatever the approval setting and its output comes back.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';
import { CodeServer } from './codeServer';
import { sendMessage } from './messageBox';

const T = { timeout: 180_000 };
const ORIGINAL = 'export function greeting(name: string): string {\n  return `Hello, ${name}`;\n}\n';
const PROPOSED = 'export function greeting(name: string): string {\n  return `Hello, ${name}!`;\n}\n';
const call = (name: string, args: Record<string, unknown>) => ({ function: { name, arguments: args } });

describe('workspace tools in a real VS Code (code-server)', { timeout: 10 * 60_000 }, () => {
  const server = new FakeOllama();
  const vscode = new CodeServer();
  let chat: Frame;
  /** What each tool sent back to the model, by tool name. */
  const toolResults = new Map<string, string>();

  before(async () => {
    await server.start();
    server.models = [{ name: 'test-model:latest' }];
    // The model's plan: search, read what it found, propose the change; then say what happened.
    server.onChat = (body) => {
      const last = body.messages.at(-1);
      if (last.role === 'tool') toolResults.set(last.tool_name, last.content);
      const steps = (toolCalls: unknown[]) => ({ steps: answerLines(body.model, [], { toolCalls }) });
      if (last.role === 'user' && last.content.startsWith('Add an exclamation')) return steps([call('search_text', { query: 'greeting' })]);
      if (last.role === 'user' && last.content.startsWith('Run the check'))
        return steps([call('run_command', { command: 'echo checked-$((40+2))' })]);
      if (last.tool_name === 'search_text') return steps([call('read_file', { path: 'src/greeting.ts' })]);
      if (last.tool_name === 'read_file')
        return steps([call('propose_edit', { path: 'src/greeting.ts', content: PROPOSED, summary: 'Add "!"' })]);
      return { steps: answerLines(body.model, [`Tool said: ${last.content}`]) };
    };
    await vscode.start(
      {
        'modelChat.endpoints': [{ name: 'E2E Ollama', type: 'ollama', url: server.url }],
        'modelChat.tools.approval': 'readOnly',
      },
      {
        'src/greeting.ts': ORIGINAL,
        'src/main.ts': "import { greeting } from './greeting';\nconsole.log(greeting('world'));\n",
        'dist/bundle.js': 'function greeting(){}\n',
        '.gitignore': 'dist/\n',
      },
    );
    chat = await vscode.openChat();
  });
  after(async () => {
    await vscode.stop();
    await server.stop();
  });

  const send = async (text: string) => {
    await sendMessage(chat, text);
  };

  it('a terminal command asks even though read-only tools run freely, and its output comes back', T, async () => {
    await send('Run the check');
    const card = chat.locator('[data-tool="run_command"][data-state="pending"]');
    await card.waitFor({ timeout: 60_000 });
    assert.match(await card.innerText(), /Commands always ask first/);
    assert.equal(await card.locator('button[aria-label="Always allow this tool"]').count(), 0);
    await card.locator('button[aria-label="Allow"]').click();
    await chat.locator('[data-tool="run_command"][data-state="done"]').waitFor({ timeout: 60_000 });
    const result = toolResults.get('run_command') ?? '';
    assert.match(result, /checked-42/);
    assert.match(result, /\[Exit code 0\]/);
    await vscode.screenshot('workspace-tools-run-command');
    // The user sees it run in a terminal of its own (xterm draws the text on a canvas: its name is what the DOM has).
    await vscode.page.getByText('Model Chat: echo checked-$((40+2))').first().waitFor({ timeout: 30_000 });
  });

  it('searches and reads without asking, then the edit asks, waits for Accept, and only then is written', T, async () => {
    await send('Add an exclamation mark to the greeting');
    await chat.locator('[data-tool="search_text"][data-state="done"]').waitFor({ timeout: 60_000 });
    await chat.locator('[data-tool="read_file"][data-state="done"]').waitFor({ timeout: 60_000 });
    const search = toolResults.get('search_text') ?? '';
    assert.match(search, /src\/greeting\.ts:1: export function greeting/);
    assert.match(search, /src\/main\.ts:1: import \{ greeting \}/);
    // dist/ is in .gitignore, so ripgrep leaves it out, as VS Code's search does.
    assert.doesNotMatch(search, /dist\/bundle\.js/);
    assert.match(
      toolResults.get('read_file') ?? '',
      /^src\/greeting\.ts\n1: export function greeting\(name: string\): string \{\n2: {3}return/,
    );
    await chat.locator('[data-tool="search_text"]').scrollIntoViewIfNeeded();
    // Away from the activity bar, whose tooltip would cover the card.
    await chat.locator('textarea[aria-label="Message"]').focus();
    await vscode.page.mouse.move(800, 300);
    await vscode.screenshot('workspace-tools-search-text');
    await vscode.screenshotSidebar(join(__dirname, '..', '..', 'test-output', 'e2e', 'workspace-tools-sidebar.png'));

    // propose_edit is not read-only: it asks first.
    const edit = chat.locator('[data-tool="propose_edit"][data-state="pending"]');
    await edit.waitFor({ timeout: 60_000 });
    await edit.locator('button[aria-label="Allow"]').click();
    await chat.locator('[data-tool="propose_edit"][data-state="running"]').waitFor({ timeout: 30_000 });
    const accept = chat.locator('button[aria-label="Accept"]');
    await accept.waitFor({ timeout: 60_000 });
    // The diff is open and nothing is written while the user has not decided.
    const diff = vscode.page.locator('.monaco-diff-editor').first();
    await diff.locator('.editor.modified .view-line', { hasText: 'Hello, ${name}!' }).first().waitFor({ timeout: 30_000 });
    assert.equal(readFileSync(join(vscode.workspace, 'src', 'greeting.ts'), 'utf8'), ORIGINAL);
    await vscode.screenshot('workspace-tools-propose-edit-review');
    await accept.click();
    const settled = chat.locator('[data-tool="propose_edit"]:not([data-state="running"]):not([data-state="pending"])');
    await settled.waitFor({ timeout: 60_000 }).catch(async (err: unknown) => {
      await vscode.screenshot('workspace-tools-accept-failed');
      throw err;
    });
    assert.equal(await settled.getAttribute('data-state'), 'done', await settled.innerText());
    await waitFor(() => readFileSync(join(vscode.workspace, 'src', 'greeting.ts'), 'utf8') === PROPOSED, 30_000);
    assert.match(toolResults.get('propose_edit') ?? '', /accepted/);
    await chat.locator('article[data-role="assistant"]:last-of-type[data-state="done"]').waitFor({ timeout: 30_000, state: 'attached' });

    // The model's accepted edit joins its answer's Undo, like an applied code block.
    const undo = chat.locator('article[data-role="assistant"] button[aria-label="Undo changes of this answer"]');
    await undo.waitFor({ timeout: 30_000 });
    assert.match((await undo.getAttribute('title')) ?? '', /src\/greeting\.ts/);
    await undo.scrollIntoViewIfNeeded();
    await vscode.screenshot('workspace-tools-undo');
    await undo.click();
    await waitFor(() => readFileSync(join(vscode.workspace, 'src', 'greeting.ts'), 'utf8') === ORIGINAL, 30_000);
    await undo.waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('the tools menu lists the built-in tools as server "workspace", each of which can be turned off', T, async () => {
    await chat.locator('button.tools-button').click();
    const menu = chat.locator('[role="dialog"][aria-label="Tools"]');
    const workspace = menu.locator('fieldset', { has: chat.locator('legend', { hasText: 'workspace' }) });
    await workspace.waitFor({ timeout: 30_000 });
    for (const tool of ['read_file', 'search_text', 'propose_edit', 'run_command'])
      await workspace.locator('label', { hasText: tool }).first().waitFor();
    const runCommand = workspace.locator('input[data-key="workspace/run_command"]');
    assert.equal(await runCommand.isChecked(), true);
    await runCommand.uncheck();
    await chat.locator('input[data-key="workspace/run_command"]:not(:checked)').waitFor({ timeout: 30_000 });
    await vscode.screenshot('workspace-tools-menu');
    await vscode.screenshotSidebar(join(__dirname, '..', '..', 'test-output', 'e2e', 'workspace-tools-menu-sidebar.png'));
    await chat.locator('button.tools-button').click();
  });
});

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
