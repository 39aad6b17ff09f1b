/**
 * The README's gallery, taken in the real editor: the chat in VS Code's light, dark and high-contrast
 * themes at 250 px and 500 px wide. Each shot is also a check: the page follows the theme VS Code gives
 * it, and nothing overflows sideways at the narrowest width.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { answerLines, FakeOllama, paced } from '../fakes/ollamaServer';
import { CodeServer } from './codeServer';
import { messageBox, sendMessage } from './messageBox';

const T = { timeout: 180_000 };
const server = new FakeOllama();
const vscode = new CodeServer();
const out = join(__dirname, '..', '..', 'test-output', 'e2e', 'gallery');
let chat: Frame;

const THEMES = [
  { name: 'light', theme: 'Light Modern', bodyClass: 'vscode-light' },
  { name: 'dark', theme: 'Dark Modern', bodyClass: 'vscode-dark' },
  { name: 'high-contrast', theme: 'Dark High Contrast', bodyClass: 'vscode-high-contrast' },
];
const ANSWER = [
  'The function adds its two arguments:\n\n',
  '```python\n',
  'def add(a, b):\n',
  '    return a + b\n',
  '```\n\n',
  '- `add(2, 3)` returns **5**\n',
  '- it works for strings too: `add("a", "b")`\n\n',
  '| call | result |\n',
  '|---|---:|\n',
  '| `add(1, 2)` | 3 |\n',
];

/** Whether the page is wider than its frame (something overflows sideways). */
const overflow = () => chat.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('Gallery: themes and widths in a real VS Code', { timeout: 10 * 60_000 }, () => {
  before(async () => {
    await server.start();
    server.models = [{ name: 'qwen3:8b', parameter_size: '8B', quantization_level: 'Q4_K_M' }];
    server.capabilities.set('qwen3:8b', ['completion', 'tools', 'thinking']);
    server.onChat = (body) => ({
      steps: paced(answerLines(body.model, ANSWER, { thinking: ['The user wants ', 'to know what add does.'] }), 10),
    });
    await vscode.start(
      { 'modelChat.endpoints': [{ name: 'Ollama', type: 'ollama', url: server.url }], 'workbench.colorTheme': 'Default Dark Modern' },
      { 'src/sample.py': 'def add(a, b):\n    return a + b\n\nprint(add(2, 3))\n', 'AGENTS.md': 'Answer briefly.\n' },
    );
  });
  after(async () => {
    await vscode.stop();
    await server.stop();
  });

  it('an empty chat offers example questions about the open file', T, async () => {
    await vscode.quickOpen('sample.py');
    await vscode.page.keyboard.press('Enter');
    chat = await vscode.openChat();
    await chat
      .getByRole('button', { name: /sample\.py/ })
      .first()
      .waitFor({ timeout: 20_000 });
    await vscode.setSidebarWidth(250);
    assert.ok((await overflow()) <= 0, 'nothing overflows at 250 px');
    await vscode.screenshotSidebar(join(out, 'empty-dark-250.png'));
  });

  it('a conversation in light, dark and high contrast at 250 and 500 px', T, async () => {
    await sendMessage(chat, 'What does add do?');
    await chat.locator('article[data-role="assistant"][data-state="done"]').waitFor({ timeout: 30_000 });
    await messageBox(chat).fill('Can it take three numbers?');
    for (const t of THEMES) {
      await vscode.setColorTheme(t.theme);
      await chat.waitForFunction((cls) => document.body.classList.contains(cls), t.bodyClass, { timeout: 15_000 });
      for (const width of [250, 500]) {
        const actual = await vscode.setSidebarWidth(width);
        assert.ok(Math.abs(actual - width) <= 2, `the side bar is ${actual} px wide, not ${width}`);
        await new Promise((r) => setTimeout(r, 400)); // the webview re-lays out after the resize
        assert.ok((await overflow()) <= 0, `nothing overflows sideways in ${t.name} at ${width} px`);
        assert.ok(await chat.locator('button[aria-label="Send"]').isVisible(), 'Send stays on screen');
        await vscode.screenshotSidebar(join(out, `${t.name}-${width}.png`));
      }
    }
  });
});
