/// <reference types="mocha" />
/**
 * MCP in the extension host of a real VS Code (src/extension/mcp/mcpHost.ts): servers from the
 * `modelChat.mcp.servers` user setting, started for a turn, reloaded when the setting changes, their
 * `${input:…}` values asked once and kept in SecretStorage, and the `modelChat.mcp.showServers` command.
 *
 * The servers are real stdio processes started by the extension: the tiny fake of test/fakes/fakeMcpServer.mjs
 * (its `whoami` tool reports its pid and its FAKE_VAR environment variable) and server-everything. The
 * suite drives the extension through commands and sees MCP through the fake Ollama: the `tools` each
 * /api/chat request offers, and the `role: "tool"` messages that carry tool results back to the model.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import * as vscode from 'vscode';
import type { FakeRequest } from '../controlProtocol';
import { chatRequests, FakeControl, sleep } from './control';
import { replaceWindowFn, withWindow } from './window';

const EXTENSION_ID = 'model-chat.model-chat';
/** A turn's first request waits for the servers to start (server-everything takes a moment). */
const TURN_MS = 20_000;

const config = () => vscode.workspace.getConfiguration('modelChat');

/** The tool names a /api/chat request offered the model. */
const offered = (request: FakeRequest): string[] =>
  ((request.body.tools ?? []) as Array<{ function: { name: string } }>).map((t) => t.function.name);

/** The tool results a /api/chat request carries back to the model. */
const toolResults = (request: FakeRequest): Array<{ role: string; content: string; tool_name?: string }> =>
  (request.body.messages as Array<{ role: string; content: string; tool_name?: string }>).filter((m) => m.role === 'tool');

describe('MCP servers in the extension host of a real VS Code', function () {
  let fake: FakeControl;
  let repo: string;
  let fakeServer: (extra?: Record<string, unknown>) => Record<string, unknown>;
  let everything: Record<string, unknown>;
  /** Every MCP input box the extension showed (what it asked with), while this suite runs. */
  const inputPrompts: vscode.InputBoxOptions[] = [];
  /** The answer to give MCP input boxes. */
  let inputAnswer: string | undefined;
  /** The question modelChat.ask's input box gets next (once). */
  let question: string | undefined;
  let restoreInputBox: (() => void) | undefined;

  before(async function () {
    fake = FakeControl.fromEnvironment();
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed in this VS Code`);
    await ext.activate();
    repo = ext.extensionPath;
    const script = join(repo, 'test', 'fakes', 'fakeMcpServer.mjs');
    fakeServer = (extra = {}) => ({ type: 'stdio', command: process.execPath, args: [script], ...extra });
    const everythingDir = join(repo, 'node_modules', '@modelcontextprotocol', 'server-everything');
    const { bin } = JSON.parse(readFileSync(join(everythingDir, 'package.json'), 'utf8')) as { bin: string | Record<string, string> };
    everything = {
      type: 'stdio',
      command: process.execPath,
      args: [join(everythingDir, typeof bin === 'string' ? bin : Object.values(bin)[0])],
    };

    // MCP inputs are asked while servers load, which happens outside any command (on a settings change,
    // or in a turn after modelChat.ask returned): the input box stays answered for the whole suite.
    restoreInputBox = replaceWindowFn('showInputBox', async (options?: vscode.InputBoxOptions) => {
      if (options?.title?.startsWith('MCP input:')) {
        inputPrompts.push({ ...options });
        return inputAnswer;
      }
      const q = question;
      question = undefined;
      return q;
    });
    await config().update('tools.approval', 'always', vscode.ConfigurationTarget.Global);
    await settled('tools.approval', 'always');
  });

  after(async function () {
    try {
      await setServers(undefined);
      await config().update('tools.approval', undefined, vscode.ConfigurationTarget.Global);
      await settled('tools.approval', undefined);
      await vscode.commands.executeCommand('modelChat.newChat');
      await fake.reset();
    } finally {
      restoreInputBox?.();
    }
  });

  beforeEach(async function () {
    await vscode.commands.executeCommand('modelChat.newChat');
    await fake.reset();
  });

  /**
   * Waits until the extension host's configuration shows the new value. VS Code fires
   * onDidChangeConfiguration (where McpHost starts reloading) as it takes the new configuration in, so
   * once the value shows, the reload has begun and the next turn waits for it.
   */
  async function settled(key: string, value: unknown): Promise<void> {
    const end = Date.now() + 10_000;
    while (!isDeepStrictEqual(config().inspect(key)?.globalValue, value)) {
      if (Date.now() > end)
        throw new Error(
          `modelChat.${key} did not become ${JSON.stringify(value)} within 10 s: ${JSON.stringify(config().inspect(key)?.globalValue)}`,
        );
      await sleep(50);
    }
  }

  async function setServers(servers: Record<string, unknown> | undefined): Promise<void> {
    await config().update('mcp.servers', servers, vscode.ConfigurationTarget.Global);
    await settled('mcp.servers', servers);
  }

  /** modelChat.ask with `text`, retried while a previous answer is still being written; its first /api/chat request. */
  async function ask(text: string): Promise<FakeRequest> {
    const before = chatRequests(await fake.state()).length;
    const end = Date.now() + 10_000;
    for (;;) {
      let busy = false;
      question = text;
      await withWindow(
        {
          showWarningMessage: async () => {
            busy = true;
            return undefined;
          },
          showInformationMessage: async () => undefined,
        },
        () => Promise.resolve(vscode.commands.executeCommand('modelChat.ask')),
      );
      assert.equal(question, undefined, 'modelChat.ask did not ask for its question');
      if (!busy) break;
      if (Date.now() > end) throw new Error('The previous answer was still being written after 10 s');
      await sleep(100);
    }
    const state = await fake.until((s) => chatRequests(s).length > before, `the /api/chat request for "${text}"`, TURN_MS);
    return chatRequests(state)[before];
  }

  /** A turn in which the model calls `whoami` once: the tool's result as the extension sent it back. */
  async function whoami(): Promise<{ first: FakeRequest; result: { pid: number; cwd: string; fakeVar: string | null } }> {
    await fake.plan({ kind: 'toolCalls', calls: [{ name: 'whoami' }], then: { kind: 'answer', tokens: ['Done.'] } });
    const before = chatRequests(await fake.state()).length;
    const first = await ask('Who are you?');
    assert.ok(offered(first).includes('whoami'), `whoami was not offered to the model: ${JSON.stringify(offered(first))}`);
    const state = await fake.until((s) => chatRequests(s).length > before + 1, 'the /api/chat request carrying the whoami result', TURN_MS);
    const second = chatRequests(state)[before + 1];
    const results = toolResults(second);
    assert.equal(results.length, 1, `one tool result should go back: ${JSON.stringify(second.body.messages)}`);
    assert.equal(results[0].tool_name, 'whoami');
    let result: { pid: number; cwd: string; fakeVar: string | null };
    try {
      result = JSON.parse(results[0].content);
    } catch {
      throw new Error(`whoami's result is not the server's JSON (did the call fail?): ${results[0].content}`);
    }
    return { first, result };
  }

  it("${input:…} in a server's env is asked once, as a password, and kept in SecretStorage for later loads", async function () {
    this.timeout(60_000);
    const id = `token${Date.now()}`; // a fresh id: nothing stored for it yet
    const secret = `s3cret-${Math.random().toString(36).slice(2)}`;
    inputAnswer = secret;
    inputPrompts.length = 0;
    await setServers({ fake: fakeServer({ env: { FAKE_VAR: `\${input:${id}}` } }) });

    const first = await whoami();
    assert.equal(first.result.fakeVar, secret, 'the server should get the answered input in its environment');
    assert.equal(inputPrompts.length, 1, `the input should be asked for once: ${JSON.stringify(inputPrompts)}`);
    assert.equal(inputPrompts[0].password, true, 'an input used in the settings is a secret: its box should be a password box');
    assert.ok(inputPrompts[0].title?.includes(id), `the box should name the input: ${inputPrompts[0].title}`);

    // Another turn: nothing asked.
    await vscode.commands.executeCommand('modelChat.newChat');
    const again = await whoami();
    assert.equal(again.result.fakeVar, secret);
    assert.equal(inputPrompts.length, 1, 'a second turn should not ask for the input again');

    // A settings change reloads the servers (the changed one restarts): the value comes from SecretStorage.
    inputAnswer = 'not-the-stored-value';
    await setServers({ fake: fakeServer({ env: { FAKE_VAR: `\${input:${id}}`, OTHER: 'changed' } }) });
    await vscode.commands.executeCommand('modelChat.newChat');
    const reloaded = await whoami();
    assert.notEqual(reloaded.result.pid, first.result.pid, 'the changed server should have been restarted');
    assert.equal(reloaded.result.fakeVar, secret, 'the restarted server should get the stored value');
    assert.equal(inputPrompts.length, 1, 'a reload should take the input from SecretStorage, not ask again');
  });

  it('a change of modelChat.mcp.servers reloads the servers without a window reload', async function () {
    this.timeout(60_000);
    await setServers({ fake: fakeServer() });
    const before = await ask('What tools do you have?');
    assert.ok(offered(before).includes('whoami'), `the fake server's tools should be offered: ${JSON.stringify(offered(before))}`);

    await setServers({ everything });
    await vscode.commands.executeCommand('modelChat.newChat');
    const after = await ask('And now?');
    assert.ok(offered(after).includes('echo'), `server-everything's echo should be offered: ${JSON.stringify(offered(after))}`);
    assert.ok(!offered(after).includes('whoami'), `the removed server's tools should be gone: ${JSON.stringify(offered(after))}`);
  });

  it('modelChat.mcp.showServers lists each server with its state and tool count, and restarts the one picked', async function () {
    this.timeout(60_000);
    await setServers({ fake: fakeServer(), everything });
    const started = await whoami();

    type Item = vscode.QuickPickItem & { name?: string };
    let items: Item[] = [];
    let pickOptions: vscode.QuickPickOptions | undefined;
    const messages: string[] = [];
    await withWindow(
      {
        showQuickPick: async (offeredItems: Item[] | Thenable<Item[]>, options?: vscode.QuickPickOptions) => {
          items = await offeredItems;
          pickOptions = options;
          return items.find((i) => i.label.endsWith(' fake'));
        },
        showInformationMessage: async (message: string) => {
          messages.push(message);
          return undefined;
        },
      },
      () => Promise.resolve(vscode.commands.executeCommand('modelChat.mcp.showServers')),
    );
    assert.equal(pickOptions?.title, 'MCP servers');
    const byName = (name: string) => {
      const item = items.find((i) => i.label.endsWith(` ${name}`));
      assert.ok(item, `${name} is not listed: ${JSON.stringify(items.map((i) => i.label))}`);
      return item;
    };
    const fakeItem = byName('fake');
    assert.equal(fakeItem.label, '$(pass) fake');
    assert.match(fakeItem.description ?? '', /^running · 5 tools · stdio · settings$/);
    assert.match(fakeItem.detail ?? '', /whoami/);
    const everythingItem = byName('everything');
    assert.equal(everythingItem.label, '$(pass) everything');
    assert.match(everythingItem.description ?? '', /^running · \d+ tools · stdio · settings$/);
    assert.match(everythingItem.detail ?? '', /\becho\b/);
    assert.equal(items.length, 2, `only the configured servers should be listed: ${JSON.stringify(items.map((i) => i.label))}`);
    assert.deepEqual(messages, ['MCP server fake restarted.']);

    await vscode.commands.executeCommand('modelChat.newChat');
    const restarted = await whoami();
    assert.notEqual(restarted.result.pid, started.result.pid, 'the picked server should run in a new process after the restart');
  });
});
