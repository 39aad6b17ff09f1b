// The baseline of bench/editorFirstToken.ts: what a minimal extension does to stream an answer into a
// webview. The page adds the answer's <pre> itself on Enter; the host posts nothing but the text, each
// throttled delta as one message (the first at once, then at most one every 50 ms), and a last 'done'.
// A question that starts with "(floor)" gets the same stream and posts, but the page only counts the text it
// receives (bench/editorLongTasks.ts: what the editor itself costs to deliver an answer, with nothing drawn).
// Plain JavaScript with no dependencies, so `vsce package` needs no build.
const vscode = require('vscode');
const { randomBytes } = require('node:crypto');

const INTERVAL_MS = 50;

exports.activate = (context) => {
  context.subscriptions.push(
    vscode.window.registerWebviewViewProvider('minimalChat.view', {
      resolveWebviewView(view) {
        view.webview.options = { enableScripts: true };
        view.webview.html = page(randomBytes(16).toString('base64'));
        view.webview.onDidReceiveMessage((m) => {
          if (m && m.type === 'send' && typeof m.text === 'string')
            ask(view.webview, m.text).catch((err) => view.webview.postMessage({ type: 'done', error: String(err) }));
        });
      },
    }),
  );
};

async function ask(webview, text) {
  const config = vscode.workspace.getConfiguration('minimalChat');
  const res = await fetch(`${config.get('url')}/api/chat`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: config.get('model'), stream: true, messages: [{ role: 'user', content: text }] }),
  });
  const decoder = new TextDecoder();
  let buffered = '';
  let pending = '';
  let lastPost = 0;
  let timer;
  const flush = () => {
    timer = undefined;
    if (!pending) return;
    webview.postMessage({ type: 'delta', text: pending });
    pending = '';
    lastPost = Date.now();
  };
  for await (const chunk of res.body) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line) pending += JSON.parse(line).message?.content ?? '';
    }
    if (pending && !timer) {
      const wait = lastPost + INTERVAL_MS - Date.now();
      if (wait <= 0) flush();
      else timer = setTimeout(flush, wait);
    }
  }
  clearTimeout(timer);
  flush();
  webview.postMessage({ type: 'done' });
}

function page(nonce) {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">pre { white-space: pre-wrap; } textarea { width: 100%; }</style>
</head><body>
<div id="answers"></div>
<textarea id="minimal-input" aria-label="Minimal message"></textarea>
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
const answers = document.getElementById('answers');
const input = document.getElementById('minimal-input');
input.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter' || e.shiftKey) return;
  e.preventDefault();
  const pre = document.createElement('pre');
  pre.className = 'answer';
  if (input.value.startsWith('(floor)')) pre.dataset.floor = '0';
  answers.append(pre);
  vscode.postMessage({ type: 'send', text: input.value });
  input.value = '';
});
window.addEventListener('message', (e) => {
  const pre = answers.lastElementChild;
  if (!pre) return;
  if (e.data.type === 'delta' && pre.dataset.floor) pre.dataset.floor = String(Number(pre.dataset.floor) + e.data.text.length);
  else if (e.data.type === 'delta') pre.append(e.data.text);
  else if (e.data.type === 'done') pre.dataset.done = '1';
});
</script>
</body></html>`;
}
