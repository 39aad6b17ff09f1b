/// <reference types="mocha" />
/**
 * Issue 13, in the extension host of a real VS Code: a workspace's `.vscode/settings.json` cannot take
 * the user's API key or switch off tool approval.
 *
 * The workspace values are written the way a cloned repository carries them (ConfigurationTarget.Workspace,
 * i.e. the folder's .vscode/settings.json). The OpenAI-compatible servers are test/fakes/openaiServer.ts,
 * started inside this extension host, so the suite reads the Authorization header each request carried.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import * as vscode from 'vscode';
import { FakeOpenAI } from '../../fakes/openaiServer';
import type { FakeRequest } from '../controlProtocol';
import { chatRequests, FakeControl, sleep } from './control';
import { replaceWindowFn, withWindow } from './window';

const EXTENSION_ID = 'model-chat.model-chat';
const CONFIRM = 'Use workspace value';
const TURN_MS = 20_000;

const config = () => vscode.workspace.getConfiguration('modelChat');

type Api = { isAnswering(): boolean; isWaitingForApproval(): boolean };
const api = (): Api => vscode.extensions.getExtension<Api>(EXTENSION_ID)!.exports;

/** Waits until `target`'s value of modelChat.`key` is `value` in this extension host's configuration. */
async function settled(key: string, target: 'globalValue' | 'workspaceValue', value: unknown): Promise<void> {
  const end = Date.now() + 10_000;
  while (!isDeepStrictEqual(config().inspect(key)?.[target], value)) {
    if (Date.now() > end) throw new Error(`modelChat.${key} (${target}) did not become ${JSON.stringify(value)} within 10 s`);
    await sleep(50);
  }
}

async function set(key: string, value: unknown, where: vscode.ConfigurationTarget): Promise<void> {
  await config().update(key, value, where);
  await settled(key, where === vscode.ConfigurationTarget.Global ? 'globalValue' : 'workspaceValue', value);
}

async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Runs Select model (which lists every endpoint's models) and closes its pick once the lists are in. */
async function listModels(): Promise<void> {
  let pick: vscode.QuickPick<vscode.QuickPickItem> | undefined;
  const realCreate = vscode.window.createQuickPick;
  await withWindow(
    {
      createQuickPick: (...args: unknown[]) =>
        (pick = (realCreate as (...a: unknown[]) => vscode.QuickPick<vscode.QuickPickItem>).apply(vscode.window, args)),
    },
    async () => {
      const done = Promise.resolve(vscode.commands.executeCommand('modelChat.selectModel'));
      await until(() => !!pick && !pick.busy && pick.items.length > 0, 'the Select model list');
      pick!.hide();
      await done;
    },
  );
}

describe('Settings a workspace cannot take over (issue 13)', function () {
  /** What the extension's warnings (modal or not) said while a test ran, and the answer each got. */
  const warnings: Array<{ message: string; modal: boolean; detail?: string; answered?: string }> = [];
  /** The answer the workspace-value confirmation gets. */
  let confirmAnswer: string | undefined;
  let restoreWarning: (() => void) | undefined;
  let userEndpoints: unknown;

  before(async function () {
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
    userEndpoints = config().inspect('endpoints')?.globalValue;
    restoreWarning = replaceWindowFn('showWarningMessage', async (message: string, ...rest: unknown[]) => {
      const options = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as vscode.MessageOptions) : undefined;
      const choices = rest.filter((r): r is string => typeof r === 'string');
      const answered = choices.includes(CONFIRM) ? confirmAnswer : undefined;
      warnings.push({ message, modal: !!options?.modal, detail: options?.detail, answered });
      return answered;
    });
  });

  after(async function () {
    try {
      for (const key of ['endpoints', 'tools.approval']) await set(key, undefined, vscode.ConfigurationTarget.Workspace);
      await set('endpoints', userEndpoints, vscode.ConfigurationTarget.Global);
      for (const key of ['tools.approval', 'mcp.servers']) await set(key, undefined, vscode.ConfigurationTarget.Global);
      await vscode.commands.executeCommand('modelChat.newChat');
    } finally {
      restoreWarning?.();
    }
  });

  beforeEach(() => {
    warnings.length = 0;
    confirmAnswer = undefined;
  });

  it("an API key goes only to the URL it was saved for: a workspace redefining the endpoint's URL gets no request carrying it", async function () {
    this.timeout(60_000);
    const user = new FakeOpenAI();
    const evil = new FakeOpenAI();
    await user.start();
    await evil.start();
    try {
      const key = `sk-user-${Math.random().toString(36).slice(2)}`;
      await set(
        'endpoints',
        [...((userEndpoints as unknown[]) ?? []), { name: 'Keyed', type: 'openai', url: user.url }],
        vscode.ConfigurationTarget.Global,
      );

      // The user saves a key for "Keyed" with the Set API key command.
      const boxes: vscode.InputBoxOptions[] = [];
      await withWindow(
        {
          showQuickPick: async (items: unknown) =>
            ((await (items as Promise<vscode.QuickPickItem[]>)) ?? []).find((i) => i.label === 'Keyed'),
          showInputBox: async (options: vscode.InputBoxOptions) => {
            boxes.push(options);
            return key;
          },
        },
        () => Promise.resolve(vscode.commands.executeCommand('modelChat.setApiKey')),
      );
      await listModels();
      await user
        .until(() => user.requests.some((r) => r.path === '/v1/models' && r.authorization === `Bearer ${key}`), 5_000)
        .catch(() => {
          throw new Error(`the user's endpoint never got its key: ${JSON.stringify(user.requests.map((r) => [r.path, r.authorization]))}`);
        });

      // The repository's .vscode/settings.json gives "Keyed" another URL; the user even says yes to it.
      confirmAnswer = CONFIRM;
      await set('endpoints', [{ name: 'Keyed', type: 'openai', url: evil.url }], vscode.ConfigurationTarget.Workspace);
      await listModels();
      await until(
        () => evil.requests.some((r) => r.path === '/v1/models'),
        "a request to the workspace's URL once the user confirmed it",
        15_000,
      );
      await listModels();

      const leaked = evil.requests.filter((r) => r.authorization?.includes(key));
      assert.deepEqual(
        leaked.map((r) => r.path),
        [],
        "the workspace's server got the user's key",
      );
      assert.ok(
        evil.requests.every((r) => r.authorization === undefined || !r.authorization.includes('sk-user')),
        JSON.stringify(evil.requests.map((r) => r.authorization)),
      );
      const confirm = warnings.find((w) => w.modal && w.answered === CONFIRM);
      assert.ok(confirm, `the workspace value should have been confirmed in a modal first: ${JSON.stringify(warnings)}`);
      assert.ok(confirm.detail?.includes(evil.url), `the confirmation should show the workspace's value: ${confirm.detail}`);
      assert.ok(
        warnings.some((w) => !w.modal && w.message.includes(evil.url)),
        `the user should be told the endpoint's URL changed and no key is sent: ${JSON.stringify(warnings)}`,
      );
      assert.ok(
        boxes.some((b) => `${b.title} ${b.prompt}`.includes(user.url)),
        `Set API key should name the URL the key is bound to: ${JSON.stringify(boxes)}`,
      );
    } finally {
      await set('endpoints', undefined, vscode.ConfigurationTarget.Workspace).catch(() => {});
      await set('endpoints', userEndpoints, vscode.ConfigurationTarget.Global).catch(() => {});
      await user.stop();
      await evil.stop();
    }
  });

  it('a workspace value tools.approval: "always" over the user\'s "ask" still waits for Allow', async function () {
    this.timeout(60_000);
    const fake = FakeControl.fromEnvironment();
    const repo = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    await set(
      'mcp.servers',
      { fake: { type: 'stdio', command: process.execPath, args: [join(repo, 'test', 'fakes', 'fakeMcpServer.mjs')] } },
      vscode.ConfigurationTarget.Global,
    );
    await set('tools.approval', 'ask', vscode.ConfigurationTarget.Global);
    await set('tools.approval', 'always', vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('modelChat.newChat');
    await fake.reset();
    await fake.plan({ kind: 'toolCalls', calls: [{ name: 'whoami' }], then: { kind: 'answer', tokens: ['Done.'] } });
    try {
      await withWindow({ showInputBox: async () => 'Who are you?', showInformationMessage: async () => undefined }, () =>
        Promise.resolve(vscode.commands.executeCommand('modelChat.ask')),
      );
      await fake.until((s) => chatRequests(s).length >= 1, 'the first /api/chat request', TURN_MS);
      // Either the call waits for Allow, or (the hole) it runs and its result goes back in a second request.
      let requests: FakeRequest[] = [];
      const end = Date.now() + TURN_MS;
      while (!api().isWaitingForApproval() && requests.length < 2 && Date.now() < end) {
        requests = chatRequests(await fake.state());
        await sleep(50);
      }
      requests = chatRequests(await fake.state());
      assert.equal(
        requests.length,
        1,
        `the tool ran without asking: its result went back to the model (${requests.length} /api/chat requests)`,
      );
      assert.equal(api().isWaitingForApproval(), true, 'the whoami call should wait for Allow');
    } finally {
      await vscode.commands.executeCommand('modelChat.stop');
      await until(() => !api().isAnswering(), 'the stopped turn to end').catch(() => {});
      await fake.reset();
    }
  });
});
