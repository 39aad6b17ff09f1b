/// <reference types="mocha" />
/**
 * The context chips (src/extension/context/contextController.ts) in the extension host of a real VS Code: real
 * editors, selections, diagnostics, files and file watchers. The suite builds its own ContextController
 * (esbuild bundles the module into this file; `vscode` is the extension's own API object, see
 * extension.test.ts), so it runs before Model Chat is activated and leaves it inactive for the next suite.
 *
 * The last test is the proof the issue asks for: a ChatSession of the suite's own sends a question with
 * the chips' attachments to the runner's fake Ollama, and the request it receives carries exactly the
 * chosen context in the user message and the instructions file in the system message.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { addToChat, ContextController, type ChatContext } from '../../../src/extension/context/contextController';
import { readInstructions } from '../../../src/extension/context/instructionFiles';
import { ChatSession } from '../../../src/streaming/chat/chatSession';
import { selectionAttachment, textFileAttachment, userContent } from '../../../src/streaming/chat/contextPrompt';
import { estimateTokens } from '../../../src/shared/tokens';
import { createProvider } from '../../../src/streaming/providers/createProvider';
import { systemPrompt } from '../../../src/streaming/chat/instructions';
import type { ContextChip } from '../../../src/shared/protocol';
import { chatRequests, FakeControl, sleep } from './control';
import { withWindow } from './window';

const enc = (text: string) => new TextEncoder().encode(text);

function memento(): vscode.Memento {
  const values = new Map<string, unknown>();
  return {
    keys: () => [...values.keys()],
    get: (key: string, fallback?: unknown) => (values.has(key) ? values.get(key) : fallback),
    update: async (key: string, value: unknown) => void (value === undefined ? values.delete(key) : values.set(key, value)),
  } as vscode.Memento;
}

describe('Context chips in the extension host of a real VS Code', function () {
  const root = () => vscode.workspace.workspaceFolders![0].uri;
  const fixtures = () => vscode.Uri.joinPath(root(), 'ctx-fixtures');
  const fixture = (name: string) => vscode.Uri.joinPath(fixtures(), name);
  const agents = () => vscode.Uri.joinPath(root(), 'AGENTS.md');
  const A_TS = Array.from({ length: 40 }, (_, i) => `export const v${i + 1} = ${i + 1};`).join('\n') + '\n';
  const BIG_LINES = 20_000;
  let state: vscode.Memento;
  let log: vscode.LogOutputChannel;
  let chips: ContextController;
  /** One chat's chips: what the page of conversation c1 shows. */
  let controller: ChatContext;
  let diagnostics: vscode.DiagnosticCollection;

  const chip = (id: string): ContextChip | undefined => controller.chips().find((c) => c.id === id);

  /** Polls the controller's chips (its listeners are debounced) until `predicate` holds. */
  async function until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > end) throw new Error(`Timed out waiting for ${what}. Chips: ${JSON.stringify(controller.chips(), null, 1)}`);
      await sleep(30);
    }
  }

  async function closeEditors(): Promise<void> {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }

  before(async function () {
    assert.ok(vscode.workspace.workspaceFolders?.length, 'the runner opens a workspace folder');
    await vscode.workspace.fs.writeFile(fixture('a.ts'), enc(A_TS));
    await vscode.workspace.fs.writeFile(fixture('b.md'), enc('# Notes\n\n```js\nx()\n```\n'));
    await vscode.workspace.fs.writeFile(fixture('c.py'), enc('def f():\n    return 1\n'));
    await vscode.workspace.fs.writeFile(
      fixture('big.log'),
      enc(Array.from({ length: BIG_LINES }, (_, i) => `${i + 1} the quick brown fox`).join('\n') + '\n'),
    );
    await vscode.workspace.fs.writeFile(
      fixture('image.png'),
      Uint8Array.from([
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0,
      ]),
    );
    await vscode.workspace.fs.createDirectory(fixture('folder'));
    await vscode.workspace.fs.writeFile(fixture('node_modules/dep/index.js'), enc('module.exports = 1;\n'));
    await closeEditors();
    state = memento();
    log = vscode.window.createOutputChannel('Model Chat context test', { log: true });
    diagnostics = vscode.languages.createDiagnosticCollection('model-chat-test');
    chips = new ContextController({ log, state, onChange: () => {} });
    controller = chips.forChat(() => 'c1');
    await controller.ready;
  });

  after(async function () {
    chips?.dispose();
    diagnostics?.dispose();
    log?.dispose();
    await closeEditors();
    // The next suites assert the exact messages the model gets: no instructions file may stay behind.
    await vscode.workspace.fs.delete(agents()).then(undefined, () => {});
    await vscode.workspace.fs.delete(fixtures(), { recursive: true }).then(undefined, () => {});
  });

  it('has no chips without an editor, an instructions file or anything attached', function () {
    assert.deepEqual(controller.chips(), []);
    assert.equal(controller.meterTokens(), 0);
  });

  it('the active file is a chip that is off until turned on, and stays on across editor switches', async function () {
    const doc = await vscode.workspace.openTextDocument(fixture('a.ts'));
    await vscode.window.showTextDocument(doc);
    await until(() => chip('activeFile')?.label === 'a.ts', 'the active file chip for a.ts');
    const expected = textFileAttachment({
      label: 'a.ts',
      detail: 'ctx-fixtures/a.ts',
      text: A_TS,
      languageId: doc.languageId,
      kind: 'activeFile',
    });
    assert.deepEqual(chip('activeFile'), {
      id: 'activeFile',
      kind: 'activeFile',
      label: 'a.ts',
      detail: 'ctx-fixtures/a.ts',
      tokens: expected.tokens,
      enabled: false,
      removable: false,
    });
    assert.deepEqual(await controller.attachments(), [], 'off by default: nothing goes');
    assert.equal(controller.meterTokens(), 0);

    controller.toggle('activeFile', true);
    assert.deepEqual(await controller.attachments(), [expected]);
    assert.equal(controller.meterTokens(), expected.tokens);

    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(fixture('b.md')));
    await until(() => chip('activeFile')?.label === 'b.md', 'the active file chip to follow the editor to b.md');
    assert.equal(chip('activeFile')!.enabled, true, 'turned on, it stays on for the next file');
    controller.toggle('activeFile', false);
    await closeEditors();
    await until(() => !chip('activeFile'), 'the active file chip to go with the last editor');
  });

  it('the selection is a chip while there is one, on by default, with its line range and tokens', async function () {
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(fixture('a.ts')));
    editor.selection = new vscode.Selection(11, 0, 20, 0); // lines 12-20; line 21 is not selected
    await until(() => chip('selection')?.label === 'a.ts:12-20', 'the selection chip a.ts:12-20');
    const text = A_TS.split('\n').slice(11, 20).join('\n') + '\n';
    const expected = selectionAttachment({
      label: 'a.ts:12-20',
      detail: 'ctx-fixtures/a.ts',
      text,
      languageId: editor.document.languageId,
      startLine: 12,
      endLine: 20,
    });
    assert.deepEqual(chip('selection'), {
      id: 'selection',
      kind: 'selection',
      label: 'a.ts:12-20',
      detail: 'ctx-fixtures/a.ts (lines 12-20)',
      tokens: expected.tokens,
      enabled: true,
      removable: false,
    });
    assert.deepEqual(await controller.attachments(), [expected]);
    assert.equal(controller.meterTokens(), expected.tokens);
    assert.equal(expected.tokens, estimateTokens(expected.text));

    controller.toggle('selection', false);
    assert.equal(chip('selection')!.enabled, false);
    assert.deepEqual(await controller.attachments(), []);
    editor.selection = new vscode.Selection(2, 0, 4, 5); // another range: still off
    await until(() => chip('selection')?.label === 'a.ts:3-5', 'the chip to follow the new range');
    assert.equal(chip('selection')!.enabled, false, 'turned off, it stays off while the user keeps selecting');

    editor.selection = new vscode.Selection(4, 0, 4, 0);
    await until(() => !chip('selection'), 'the chip to go when the selection is cleared');
    editor.selection = new vscode.Selection(0, 0, 0, 10);
    await until(() => chip('selection')?.label === 'a.ts:1', 'a new selection');
    assert.equal(chip('selection')!.enabled, true, 'a new selection after clearing starts on');
    await closeEditors();
    await until(() => controller.chips().length === 0, 'no chips once the editors are closed');
  });

  it('addFiles cuts a big file with a note, refuses a binary file and a folder by name, and dedupes', async function () {
    const warnings: string[] = [];
    const added = await withWindow({ showWarningMessage: async (m: unknown) => void warnings.push(String(m)) }, () =>
      controller.addFiles([fixture('big.log'), fixture('image.png'), fixture('folder'), fixture('c.py'), fixture('big.log')]),
    );
    assert.equal(added, 2);
    assert.equal(warnings.length, 1, `one message for the refusals: ${JSON.stringify(warnings)}`);
    assert.match(warnings[0], /image\.png looks binary; only text files can be attached\./);
    assert.match(warnings[0], /ctx-fixtures\/folder is a folder; only files can be attached\./);

    const big = chip(`file:${fixture('big.log').toString()}`);
    assert.ok(big, `no chip for big.log: ${JSON.stringify(controller.chips())}`);
    assert.equal(big.removable, true);
    assert.equal(big.enabled, true);
    const note = /^first ([\d,]+) of 20,000 lines$/.exec(big.note ?? '');
    assert.ok(note, `note on the chip: ${big.note}`);
    const kept = Number(note[1].replace(/,/g, ''));
    assert.ok(kept > 1000 && kept < BIG_LINES);
    const sent = (await controller.attachments()).find((a) => a.label === 'big.log')!;
    assert.ok(sent.text.endsWith(`\n[truncated: ${big.note}]`), 'the model is told too');
    assert.ok(
      sent.text.includes(`\n${kept} the quick brown fox\n`) && !sent.text.includes(`\n${kept + 1} the quick brown fox`),
      'cut after exactly that line',
    );

    assert.equal(await controller.addFiles([fixture('c.py')]), 0, 'already attached');
    assert.deepEqual(
      controller.chips().map((c) => c.label),
      ['big.log', 'c.py'],
    );
    controller.remove(`file:${fixture('big.log').toString()}`);
    assert.deepEqual(
      controller.chips().map((c) => c.label),
      ['c.py'],
    );
    controller.afterSend();
    assert.deepEqual(controller.chips(), []);
  });

  it('addFromDrop takes the files of a uri-list and skips what is not a readable file', async function () {
    const list = ['# dragged from the Explorer', fixture('c.py').toString(), 'https://example.com/x.ts', 'not a uri at all', ''].join(
      '\r\n',
    );
    assert.equal(await controller.addFromDrop([list, fixture('b.md').fsPath]), 2);
    assert.deepEqual(
      controller.chips().map((c) => [c.id, c.label]),
      [
        [`file:${fixture('c.py').toString()}`, 'c.py'],
        [`file:${fixture('b.md').toString()}`, 'b.md'],
      ],
    );
    controller.afterSend();
  });

  it('a dropped file from outside the workspace is attached only after the user agrees; a device never', async function () {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const outside = join(mkdtempSync(join(tmpdir(), 'mc-drop-')), 'secret.txt');
    writeFileSync(outside, 'not for the model\n');
    const asked: string[] = [];
    const drop = (answer: string | undefined) =>
      withWindow({ showWarningMessage: async (m: string) => (asked.push(m), answer) }, () =>
        controller.addFromDrop([vscode.Uri.file(outside).toString(), fixture('c.py').toString()]),
      );
    assert.equal(await drop(undefined), 1, 'declined: only the workspace file');
    assert.match(asked[0], /outside the workspace[\s\S]*secret\.txt/);
    assert.deepEqual(
      controller.chips().map((c) => c.label),
      ['c.py'],
    );
    controller.afterSend();
    assert.equal(await drop('Attach'), 2);
    assert.deepEqual(
      controller
        .chips()
        .map((c) => c.label)
        .sort(),
      ['c.py', 'secret.txt'],
    );
    controller.afterSend();
    await withWindow({ showWarningMessage: async (m: string) => (asked.push(m), m.includes('outside') ? 'Attach' : undefined) }, () =>
      controller.addFromDrop(['/dev/zero']),
    );
    assert.equal(
      controller.chips().some((c) => c.label === 'zero'),
      false,
      '/dev/zero is refused, not read forever',
    );
    assert.match(asked.at(-1) ?? '', /not a regular file/);
  });

  it('addToChat (the Explorer menu) attaches every selected file, then reveals the chat; without files it picks', async function () {
    let reveals = 0;
    await addToChat(controller, async () => void reveals++, fixture('c.py'), [fixture('c.py'), fixture('b.md')]);
    assert.deepEqual(
      controller.chips().map((c) => c.label),
      ['c.py', 'b.md'],
    );
    assert.equal(reveals, 1);
    controller.afterSend();
    await addToChat(controller, async () => void reveals++, fixture('c.py'), { groupId: 1 }); // an editor tab's arguments
    assert.deepEqual(
      controller.chips().map((c) => c.label),
      ['c.py'],
    );
    controller.afterSend();
    let picked = 0;
    await addToChat({ addFiles: async () => assert.fail('nothing to add'), pick: async () => void picked++ }, async () => {});
    assert.equal(picked, 1, 'from the palette without an editor: the pick');
  });

  it('pick (the + button) offers what applies; Files… lists the workspace without node_modules and attaches the checked files', async function () {
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(fixture('a.ts')));
    editor.selection = new vscode.Selection(0, 0, 1, 3);
    await until(() => chip('selection') !== undefined, 'the selection chip');
    controller.toggle('selection', false);
    let offered: string[] = [];
    await withWindow(
      {
        showQuickPick: async (items: readonly vscode.QuickPickItem[]) => {
          offered = (await items).map((i) => i.label);
          return (await items).find((i) => i.label.endsWith('Selection'));
        },
      },
      () => controller.pick(),
    );
    const problems = vscode.languages.getDiagnostics().some(([, d]) => d.length > 0);
    assert.deepEqual(offered, [
      '$(file) Files…',
      ...(problems ? ['$(warning) Problems'] : []),
      '$(file-code) Active file',
      '$(selection) Selection',
    ]);
    assert.equal(chip('selection')!.enabled, true, 'picking Selection turns it back on');
    await closeEditors();
    await until(() => !chip('selection'), 'no selection chip without an editor');

    let pick: vscode.QuickPick<vscode.QuickPickItem & { uri?: vscode.Uri }> | undefined;
    const realCreate = vscode.window.createQuickPick;
    await withWindow(
      {
        showQuickPick: async (items: readonly vscode.QuickPickItem[]) => (await items).find((i) => i.label.endsWith('Files…')),
        createQuickPick: (...args: unknown[]) => (pick = (realCreate as (...a: unknown[]) => typeof pick).apply(vscode.window, args)),
      },
      async () => {
        const done = controller.pick();
        const end = Date.now() + 10_000;
        while (!(pick && !pick.busy && pick.items.length) && Date.now() < end) await sleep(50);
        assert.ok(pick, 'Files… did not show a quick pick');
        const paths = pick.items.map((i) => vscode.workspace.asRelativePath(i.uri!));
        assert.ok(paths.includes('ctx-fixtures/c.py') && paths.includes('sample.py'), `workspace files: ${JSON.stringify(paths)}`);
        assert.ok(!paths.some((p) => p.includes('node_modules')), `node_modules is left out: ${JSON.stringify(paths)}`);
        assert.equal(pick.canSelectMany, true);
        // The workbench echoes selections back asynchronously (an earlier, empty one first): accept once ours is back.
        let echoed = false;
        pick.onDidChangeSelection((items) => (echoed = items.length === 2));
        pick.selectedItems = pick.items.filter((i) => ['ctx-fixtures/c.py', 'sample.py'].includes(vscode.workspace.asRelativePath(i.uri!)));
        while (!echoed && Date.now() < end) await sleep(20);
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        await done;
      },
    );
    assert.deepEqual(
      controller
        .chips()
        .map((c) => c.label)
        .sort(),
      ['c.py', 'sample.py'],
    );
    controller.afterSend();
  });

  it('problems: a chip with the count from real diagnostics, errors first, following changes', async function () {
    const a = fixture('a.ts');
    const error = new vscode.Diagnostic(new vscode.Range(2, 0, 2, 5), 'Test error', vscode.DiagnosticSeverity.Error);
    error.source = 'model-chat-test';
    const warning = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 5), 'Test warning', vscode.DiagnosticSeverity.Warning);
    diagnostics.set(a, [warning, error]);
    const total = () => vscode.languages.getDiagnostics().reduce((n, [, d]) => n + d.length, 0);
    controller.addProblems();
    assert.equal(chip('problems')?.label, `Problems (${total()})`);
    assert.equal(chip('problems')!.removable, true);
    const [problems] = await controller.attachments();
    assert.equal(problems.kind, 'problems');
    const lines = problems.text.split('\n');
    const errorAt = lines.indexOf('- ctx-fixtures/a.ts:3 error: Test error (model-chat-test)');
    const warningAt = lines.indexOf('- ctx-fixtures/a.ts:1 warning: Test warning');
    assert.ok(errorAt > 0 && warningAt > errorAt, `errors before warnings, with workspace-relative paths:\n${problems.text}`);

    diagnostics.set(a, [warning, error, new vscode.Diagnostic(new vscode.Range(5, 0, 5, 1), 'Another', vscode.DiagnosticSeverity.Error)]);
    await until(() => chip('problems')?.label === `Problems (${total()})`, 'the count to follow the diagnostics');
    controller.remove('problems');
    assert.equal(chip('problems'), undefined);
    diagnostics.clear();
  });

  it('the instructions file: a chip from AGENTS.md, on unless turned off (remembered), and filterInstructions', async function () {
    const text = 'Answer in French.\nKeep it short.\n';
    await vscode.workspace.fs.writeFile(agents(), enc(text));
    await until(() => chip('instructions') !== undefined, 'the instructions chip after AGENTS.md was created');
    const prompt = systemPrompt([{ source: 'AGENTS.md', text }])!;
    assert.deepEqual(chip('instructions'), {
      id: 'instructions',
      kind: 'instructions',
      label: 'AGENTS.md',
      detail: 'AGENTS.md',
      tokens: estimateTokens(prompt),
      enabled: true,
      removable: false,
    });
    assert.deepEqual(await controller.attachments(), [], 'instructions go to the system prompt, not with the question');
    assert.equal(controller.meterTokens(), estimateTokens(prompt));

    const parts = [
      { source: 'modelChat.systemPrompt', text: 'Be kind.' },
      { source: 'AGENTS.md', text },
    ];
    assert.deepEqual(chips.filterInstructions(parts), parts);
    controller.toggle('instructions', false);
    assert.equal(chip('instructions')!.enabled, false);
    assert.deepEqual(chips.filterInstructions(parts), [parts[0]]);
    assert.equal(controller.meterTokens(), 0);
    const again = new ContextController({ log, state, onChange: () => {} });
    await again.ready;
    assert.equal(
      again
        .forChat(() => 'c2')
        .chips()
        .find((c) => c.id === 'instructions')?.enabled,
      false,
      'off is remembered in the workspace state',
    );
    again.dispose();
    controller.toggle('instructions', true);

    const longer = `${text}Use metric units.\n`;
    await vscode.workspace.fs.writeFile(agents(), enc(longer));
    await until(
      () => chip('instructions')?.tokens === estimateTokens(systemPrompt([{ source: 'AGENTS.md', text: longer }])!),
      'the chip to follow an edit of AGENTS.md',
    );
    await vscode.workspace.fs.writeFile(agents(), enc(text));
    await until(() => chip('instructions')?.tokens === estimateTokens(prompt), 'the chip to follow AGENTS.md back');
  });

  it('the prompt the model receives holds exactly the chosen context and instructions', async function () {
    const fake = FakeControl.fromEnvironment();
    await fake.reset();
    const url = (await fake.state()).url;
    const session = (): ChatSession =>
      new ChatSession({
        config: () => ({ endpoint: { name: 'Fake Ollama', type: 'ollama', url }, model: '', maxUpdatesPerSecond: 20 }),
        providerFor: (endpoint) => createProvider(endpoint),
        instructions: async () => chips.filterInstructions(await readInstructions()),
        post: () => {},
        log,
      });
    async function ask(question: string): Promise<{ role: string; content: string }[]> {
      const before = chatRequests(await fake.state()).length;
      const chat = session();
      assert.ok(chat.send(question, await controller.attachments()));
      controller.afterSend();
      const state = await fake.until((s) => chatRequests(s).length > before, `the /api/chat request for "${question}"`);
      await chat.idle();
      chat.dispose();
      return chatRequests(state)[before].body.messages;
    }

    // Chosen: the selection (lines 2-3 of a.ts), c.py attached, the active file off, AGENTS.md on.
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(fixture('a.ts')));
    editor.selection = new vscode.Selection(1, 0, 3, 0);
    await until(() => chip('selection')?.label === 'a.ts:2-3', 'the selection chip');
    await controller.addFiles([fixture('c.py')]);
    assert.deepEqual(
      controller.chips().map((c) => [c.id, c.enabled]),
      [
        ['instructions', true],
        ['selection', true],
        ['activeFile', false],
        [`file:${fixture('c.py').toString()}`, true],
      ],
    );
    const lang = editor.document.languageId;
    assert.deepEqual(await ask('What do these do?'), [
      { role: 'system', content: 'Instructions from AGENTS.md:\n\nAnswer in French.\nKeep it short.' },
      {
        role: 'user',
        content:
          `Selection: ctx-fixtures/a.ts (lines 2-3)\n\`\`\`${lang}\nexport const v2 = 2;\nexport const v3 = 3;\n\`\`\`\n\n` +
          'File: ctx-fixtures/c.py\n```py\ndef f():\n    return 1\n```\n\n' +
          'What do these do?',
      },
    ]);

    // The instructions off and the selection off; the attached file went with the previous question.
    controller.toggle('instructions', false);
    controller.toggle('selection', false);
    assert.deepEqual(await ask('And now?'), [{ role: 'user', content: 'And now?' }]);

    // Only the active file, turned on.
    controller.toggle('activeFile', true);
    const active = textFileAttachment({ label: 'a.ts', detail: 'ctx-fixtures/a.ts', text: A_TS, languageId: lang, kind: 'activeFile' });
    assert.deepEqual(await ask('The whole file?'), [{ role: 'user', content: userContent('The whole file?', [active]) }]);
    controller.toggle('activeFile', false);
    controller.toggle('instructions', true);
  });
});
