/// <reference types="mocha" />
/**
 * Model Chat inside the extension host of a real VS Code, loaded from the repository (dist/ built by
 * esbuild.mjs), against the runner's Ollama-speaking fake server.
 *
 * The extension has no API for tests: the suite drives it through its commands and observes it through
 * what the fake server receives. `modelChat.ask` takes its question from an input box, so the suite
 * answers that box by replacing `vscode.window.showInputBox` for the duration of one call. That works
 * because this file is loaded from inside the extension's folder (out/test/integration/), and VS Code
 * hands every file of an extension the same `vscode` API object.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { chatRequests, FakeControl, sleep } from './control';
import type { FakeRequest } from '../controlProtocol';
import { withWindow } from './window';

const EXTENSION_ID = 'model-chat.model-chat';

/** shared/reference/contracts.md */
const CONTRACT_COMMANDS = [
  'modelChat.ask',
  'modelChat.newChat',
  'modelChat.stop',
  'modelChat.selectModel',
  'modelChat.setApiKey',
  'modelChat.showLog',
];
const CONTRACT_DEFAULTS: Record<string, unknown> = {
  endpoints: [{ name: 'Ollama', type: 'ollama', url: 'http://127.0.0.1:11434' }],
  defaultEndpoint: '',
  defaultModel: '',
  maxUpdatesPerSecond: 20,
  'mcp.servers': {},
  'tools.approval': 'ask',
  'tools.timeoutSeconds': 60,
};
const FAKE_MODEL = 'test-model:latest';

describe('Model Chat in the extension host of a real VS Code', function () {
  let fake: FakeControl;
  let fakeUrl: string;

  before(async function () {
    fake = FakeControl.fromEnvironment();
    await fake.reset();
    fakeUrl = (await fake.state()).url;
  });

  /** Whether any conversation is still answering, from the extension's exported API. */
  function answering(): boolean {
    const api = vscode.extensions.getExtension<{ isAnswering(): boolean }>(EXTENSION_ID)?.exports;
    return api?.isAnswering() ?? false;
  }

  /**
   * Asks through `modelChat.ask`, answering its input box with `question`, and returns the /api/chat
   * request it caused. Waits first for any answer still being written: asked during one, the question
   * would start a conversation of its own (tested on its own below).
   */
  async function ask(question: string, opts: { wait?: boolean } = {}): Promise<FakeRequest> {
    const before = chatRequests(await fake.state()).length;
    const end = Date.now() + 10_000;
    while ((opts.wait ?? true) && answering()) {
      if (Date.now() > end) throw new Error('The previous answer was still being written after 10 s');
      await sleep(50);
    }
    let prompted = 0;
    await withWindow(
      {
        showInputBox: async () => {
          prompted++;
          return question;
        },
        showInformationMessage: async () => undefined,
      },
      () => Promise.resolve(vscode.commands.executeCommand('modelChat.ask')),
    );
    assert.equal(prompted, 1, 'modelChat.ask should ask for the question with an input box, once');
    const state = await fake.until((s) => chatRequests(s).length > before, `the /api/chat request for "${question}"`);
    return chatRequests(state)[before];
  }

  async function newChat(): Promise<void> {
    await vscode.commands.executeCommand('modelChat.newChat');
  }

  describe('activation', function () {
    it('is loaded from the repository under development, and is not active before it is used', function () {
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext, `${EXTENSION_ID} is not installed in this VS Code`);
      assert.ok(
        __filename.startsWith(ext.extensionPath),
        `The suite (${__filename}) must be loaded from inside the extension (${ext.extensionPath}) to share its vscode API object`,
      );
      assert.equal(ext.packageJSON.name, 'model-chat');
      assert.equal(ext.packageJSON.publisher, 'model-chat');
      assert.equal(ext.isActive, false, "Model Chat activated before its view or a command was used: it should not slow VS Code's start");
    });

    it('activates when its chat view is opened', async function () {
      await vscode.commands.executeCommand('modelChat.chat.focus');
      const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
      const end = Date.now() + 15_000;
      while (!ext.isActive && Date.now() < end) await sleep(50);
      assert.equal(ext.isActive, true, 'Model Chat did not activate within 15 s of its view being opened');
    });

    it("the view's webview loads and reports ready: the host then lists the configured endpoint's models", async function () {
      // The page posts `ready` once its script runs under the CSP; the host answers with refreshModel,
      // which asks the (only) endpoint, the fake, for its models.
      await vscode.commands.executeCommand('modelChat.chat.focus');
      await fake.until(
        (s) => s.requests.some((r) => r.path === '/api/tags'),
        'GET /api/tags from the host after the webview said ready',
        20_000,
      );
    });
  });

  describe('commands', function () {
    it('registers every contract command, contributed under the category "Model Chat"', async function () {
      await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
      const registered = new Set(await vscode.commands.getCommands(true));
      assert.deepEqual(
        CONTRACT_COMMANDS.filter((c) => !registered.has(c)),
        [],
        'contract commands not registered',
      );
      const contributed = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands as Array<{
        command: string;
        category?: string;
      }>;
      for (const id of CONTRACT_COMMANDS) {
        const c = contributed.find((x) => x.command === id);
        assert.ok(c, `${id} is not in package.json's contributes.commands`);
        assert.equal(c.category, 'Model Chat', `${id}'s category`);
      }
    });

    it('modelChat.showLog runs', async function () {
      await vscode.commands.executeCommand('modelChat.showLog');
    });

    it('modelChat.selectModel offers the models of every configured endpoint', async function () {
      let pick: vscode.QuickPick<vscode.QuickPickItem> | undefined;
      const realCreate = vscode.window.createQuickPick;
      await withWindow(
        {
          createQuickPick: (...args: unknown[]) =>
            (pick = (realCreate as (...a: unknown[]) => vscode.QuickPick<vscode.QuickPickItem>).apply(vscode.window, args)),
        },
        async () => {
          const done = Promise.resolve(vscode.commands.executeCommand('modelChat.selectModel'));
          const end = Date.now() + 10_000;
          while (!(pick && !pick.busy && pick.items.length) && Date.now() < end) await sleep(50);
          assert.ok(pick, 'modelChat.selectModel did not show a quick pick');
          const labels = pick.items.map((i) => i.label);
          pick.hide();
          await done;
          assert.ok(labels.includes('Fake Ollama'), `the endpoint's separator is missing: ${JSON.stringify(labels)}`);
          assert.ok(
            labels.some((l) => l.endsWith(FAKE_MODEL)),
            `the fake's model is missing: ${JSON.stringify(labels)}`,
          );
        },
      );
    });

    it('modelChat.setApiKey offers the configured endpoints, and stores nothing when cancelled', async function () {
      let offered: Array<{ label: string; description?: string }> = [];
      await withWindow(
        {
          showQuickPick: async (items: unknown) => {
            offered = await (items as Promise<typeof offered> | typeof offered);
            return undefined;
          },
          showInputBox: async () => assert.fail('No key should be asked for once the endpoint pick is cancelled'),
        },
        () => Promise.resolve(vscode.commands.executeCommand('modelChat.setApiKey')),
      );
      assert.deepEqual(
        offered.map((i) => [i.label, i.description]),
        [['Fake Ollama', fakeUrl]],
      );
    });
  });

  describe('settings', function () {
    const config = () => vscode.workspace.getConfiguration('modelChat');

    it("declares every contract setting with the contract's default", function () {
      for (const [key, expected] of Object.entries(CONTRACT_DEFAULTS)) {
        const inspected = config().inspect(key);
        assert.ok(inspected, `modelChat.${key} is not a known setting`);
        assert.deepEqual(inspected.defaultValue, expected, `default of modelChat.${key}`);
      }
    });

    it('uses the defaults wherever the user settings say nothing', function () {
      for (const [key, expected] of Object.entries(CONTRACT_DEFAULTS)) {
        if (key === 'endpoints') continue;
        assert.deepEqual(config().get(key), expected, `modelChat.${key}`);
      }
    });

    it('reads modelChat.endpoints from the user settings VS Code was started with', function () {
      assert.deepEqual(config().inspect('endpoints')?.globalValue, [{ name: 'Fake Ollama', type: 'ollama', url: fakeUrl }]);
      assert.deepEqual(config().get('endpoints'), [{ name: 'Fake Ollama', type: 'ollama', url: fakeUrl }]);
    });

    it('modelChat.tools.approval offers exactly ask, readOnly and always', function () {
      const props = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.configuration.properties;
      assert.deepEqual(props['modelChat.tools.approval'].enum, ['ask', 'readOnly', 'always']);
      assert.deepEqual(props['modelChat.endpoints'].items.properties.type.enum, ['ollama', 'openai', 'embedded']);
    });
  });

  describe('a chat turn against the Ollama-speaking fake server', function () {
    beforeEach(async function () {
      await newChat();
      await fake.reset();
    });

    it('modelChat.ask sends the question to /api/chat, streaming, with the first model the endpoint lists', async function () {
      const request = await ask('What is 2 + 2?');
      assert.equal(request.body.model, FAKE_MODEL);
      assert.equal(request.body.stream, true);
      assert.deepEqual(request.body.messages, [{ role: 'user', content: 'What is 2 + 2?' }]);
    });

    it('the streamed answer is kept whole: a follow-up carries the conversation', async function () {
      await fake.plan({ kind: 'answer', tokens: ['Four', ', ', 'of course', '.'], intervalMs: 20 });
      await ask('What is 2 + 2?');
      await fake.plan({ kind: 'answer', tokens: ['Five.'] });
      const followUp = await ask('And 2 + 3?');
      assert.deepEqual(followUp.body.messages, [
        { role: 'user', content: 'What is 2 + 2?' },
        { role: 'assistant', content: 'Four, of course.' },
        { role: 'user', content: 'And 2 + 3?' },
      ]);
    });

    it('modelChat.newChat starts an empty conversation', async function () {
      await ask('First question');
      await newChat();
      const request = await ask('Second question');
      assert.deepEqual(request.body.messages, [{ role: 'user', content: 'Second question' }]);
    });

    it('modelChat.stop closes the HTTP request while the answer streams; the partial answer stays', async function () {
      await fake.plan({ kind: 'hang', tokens: ['Once upon', ' a time'] });
      await ask('Tell me a long story');
      await sleep(300); // the two tokens reach the host; the response stays open
      const stoppedAt = Date.now();
      await vscode.commands.executeCommand('modelChat.stop');
      const state = await fake.until(
        (s) => s.closed.some((c) => c.path === '/api/chat'),
        'the fake to see /api/chat closed by the client',
        5_000,
      );
      const elapsed = Date.now() - stoppedAt;
      assert.equal(state.closed.find((c) => c.path === '/api/chat')!.headersSent, true);
      assert.ok(elapsed < 2_000, `Stop took ${elapsed} ms to close the connection`);

      await fake.plan({ kind: 'answer', tokens: ['The end.'] });
      const followUp = await ask('Go on');
      assert.deepEqual(followUp.body.messages, [
        { role: 'user', content: 'Tell me a long story' },
        { role: 'assistant', content: 'Once upon a time' },
        { role: 'user', content: 'Go on' },
      ]);
    });

    it('Ask model during an answer starts a second conversation: both stream at once, without mixing', async function () {
      await newChat();
      await fake.plan({ kind: 'answer', tokens: Array.from({ length: 12 }, (_, i) => `one${i} `), intervalMs: 100 });
      const first = await ask('First, slowly');
      await sleep(250); // the first answer is under way
      assert.ok(answering(), 'the first answer should still be streaming');
      const second = await ask('Second, meanwhile', { wait: false });
      assert.deepEqual(second.body.messages, [{ role: 'user', content: 'Second, meanwhile' }]);
      const during = await fake.state();
      assert.equal(
        during.closed.filter((c) => c.path === '/api/chat').length,
        0,
        'the first answer must not be stopped by the second question',
      );
      assert.deepEqual(first.body.messages, [{ role: 'user', content: 'First, slowly' }]);
      // Both finish; a follow-up in the shown (second) conversation carries only its own answer.
      const end = Date.now() + 10_000;
      while (answering() && Date.now() < end) await sleep(50);
      await fake.plan({ kind: 'answer', tokens: ['ok'] });
      const followUp = await ask('And then?');
      assert.deepEqual(followUp.body.messages, [
        { role: 'user', content: 'Second, meanwhile' },
        { role: 'assistant', content: Array.from({ length: 12 }, (_, i) => `one${i} `).join('') },
        { role: 'user', content: 'And then?' },
      ]);
    });

    it('modelChat.stop closes the request while a cold model is still loading (no response headers yet)', async function () {
      await fake.plan({ kind: 'holdHeaders', ms: 60_000 });
      await ask('Are you there?');
      await sleep(200);
      await vscode.commands.executeCommand('modelChat.stop');
      const state = await fake.until(
        (s) => s.closed.some((c) => c.path === '/api/chat'),
        'the fake to see /api/chat closed before its headers',
        5_000,
      );
      assert.equal(state.closed.find((c) => c.path === '/api/chat')!.headersSent, false);
    });
  });
});
