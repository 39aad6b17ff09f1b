/**
 * Issue 13, part D (host side): what a link from the model's answer may open, and what `ollama pull` the
 * chat's buttons may run. The webview side (every click reaches the extension once, and nothing else) is
 * in test/webview/links.test.ts, which runs the real bundle in Chromium.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkTarget } from '../../src/extension/view/linkTarget';
import { isPullableModelName } from '../../src/extension/commands/ollamaPullName';

describe('links from model output', () => {
  it('opens only web and mail links outside the editor', () => {
    for (const href of ['https://example.com/docs', 'http://127.0.0.1:8080/', 'HTTPS://EXAMPLE.COM', 'mailto:a@example.com']) {
      assert.deepEqual(linkTarget(href), { kind: 'external' }, href);
    }
  });

  it('refuses every other scheme, whatever its case, naming it for the notice', () => {
    const cases: Array<[string, string]> = [
      ['vscode://vscode.git/clone?url=https://evil.example/x', 'vscode'],
      ['VSCode://ms-vscode.remote-server/x', 'vscode'],
      ['vscode-insiders://vscode.git/clone?url=x', 'vscode-insiders'],
      ['command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22id%5Cn%22%7D', 'command'],
      ['file:///etc/passwd', 'file'],
      ['javascript:alert(1)', 'javascript'],
      ['data:text/html,<script>1</script>', 'data'],
      ['vscode-remote://ssh-remote+evil/etc', 'vscode-remote'],
      ['C:\\Windows\\System32\\calc.exe', 'c'],
    ];
    for (const [href, scheme] of cases) assert.deepEqual(linkTarget(href), { kind: 'refused', scheme }, href);
  });

  it('treats a link without a scheme as a path in the workspace, with an optional line', () => {
    assert.deepEqual(linkTarget('src/app.ts#L12'), { kind: 'workspace', path: 'src/app.ts', line: 12 });
    assert.deepEqual(linkTarget('./docs/a%20b.md'), { kind: 'workspace', path: 'docs/a b.md', line: 0 });
  });

  it('refuses a malformed path instead of throwing', () => {
    assert.deepEqual(linkTarget('src/%E0%A4%A.ts'), { kind: 'refused', scheme: '' });
  });
});

describe('ollama pull from a button', () => {
  it('pulls plain Ollama library names', () => {
    for (const name of ['qwen3', 'qwen3:8b', 'llama3.2:latest', 'library/qwen3:0.6b', 'someuser/my-model:q4_K_M', 'hf_user/model_1']) {
      assert.equal(isPullableModelName(name), true, name);
    }
  });

  it('refuses a name that picks the registry (a workspace defaultModel must not choose where the pull comes from)', () => {
    for (const name of [
      'evil.host/x/y',
      'evil.host/x',
      '127.0.0.1:5000/x',
      '127.0.0.1:5000/x/y:latest',
      'localhost/x',
      'localhost:5000/x/y',
      'hf.co/user/repo',
      'a/b/c',
      'https://evil.host/x',
    ]) {
      assert.equal(isPullableModelName(name), false, name);
    }
  });

  it('refuses anything a shell or ollama itself would read as more than a name', () => {
    for (const name of [
      '--insecure',
      '-h',
      'qwen3; rm -rf ~',
      'qwen3 --insecure',
      '$(id)',
      'qwen3`id`',
      'qwen3\nid',
      '',
      'a'.repeat(300),
      '../x',
      'x/../../y',
      ':tag',
      'qwen3:',
      '/qwen3',
    ]) {
      assert.equal(isPullableModelName(name), false, JSON.stringify(name));
    }
  });
});
