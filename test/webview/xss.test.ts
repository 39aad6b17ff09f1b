/**
 * Hostile model output through the real webview bundle under its real CSP: nothing runs, nothing loads,
 * no active element or event handler reaches the DOM. Each payload is streamed in small chunks (the tail
 * render with its fill-ins) and then rendered final.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebviewHarness } from './harness';

const P = 'window.__pwned=1';
const PAYLOADS = [
  `<script>${P}</script>`,
  `<img src=x onerror="${P}">`,
  `<svg onload="${P}"></svg>`,
  `<iframe src="javascript:${P}"></iframe>`,
  `<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>`,
  `<body onload="${P}">`,
  `<details open ontoggle="${P}">x</details>`,
  `<a href="javascript:${P}">click</a>`,
  `<meta http-equiv="refresh" content="0;url=https://evil.example/">`,
  `<link rel="stylesheet" href="https://evil.example/x.css">`,
  `<style>body{background:url(https://evil.example/bg.png)}</style>`,
  `<base href="https://evil.example/">`,
  `<form action="https://evil.example/"><button>go</button></form>`,
  `<object data="https://evil.example/x.swf"></object>`,
  `<embed src="https://evil.example/x.swf">`,
  `<video><source onerror="${P}"></video>`,
  `<audio src=x onerror="${P}">`,
  `<input autofocus onfocus="${P}">`,
  `<marquee onstart="${P}">x</marquee>`,
  `<math><mtext><table><mglyph><style><img src=x onerror="${P}">`,
  `[click](javascript:${P})`,
  `[click](JaVaScRiPt:${P})`,
  `[click](jav&#x09;ascript:${P})`,
  `[click](&#106;avascript:${P})`,
  `[click](vbscript:msgbox(1))`,
  `[click](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+)`,
  `[click](file:///etc/passwd)`,
  `<javascript:${P}>`,
  `<https://evil.example/auto>`,
  `![x](javascript:${P})`,
  `![x](https://evil.example/track.png)`,
  `![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KDEpIi8+)`,
  `![x](https://evil.example/a.png "title\\" onerror=\\"${P}")`,
  `[ref][r]\n\n[r]: javascript:${P}`,
  `![ref][i]\n\n[i]: https://evil.example/i.png`,
  `[a](https://example.com "x\\" onmouseover=\\"${P}")`,
  `\`<script>${P}</script>\``,
  `\`\`\`html\n<script>${P}</script>\n<img src=x onerror="${P}">\n\`\`\``,
  `\`\`\`javascript:${P}\nx\n\`\`\``,
  `| a | <img src=x onerror="${P}"> |\n|---|---|\n| <script>${P}</script> | [x](javascript:${P}) |`,
  `> <img src=x onerror="${P}">`,
  `- <svg><script>${P}</script></svg>`,
  `# <img src=x onerror="${P}">`,
  `&lt;script&gt;${P}&lt;/script&gt;`,
  `<scr<script>ipt>${P}</script>`,
  `<IMG SRC=JaVaScRiPt:${P}>`,
  `<img src="x" onerror="&#119;indow.__pwned=1">`,
  `<a href="&#x6A;avascript:${P}">x</a>`,
  `[x](  javascript:${P})`,
  `[x](<javascript:${P}>)`,
  `https://evil.example/linkified?<script>${P}</script>`,
  `<div style="background:url(https://evil.example/s.png)">x</div>`,
  `<!--<img src=x onerror="${P}">-->`,
  `${'\\'.repeat(1000)}<img src=x onerror="${P}">`,
  `![${'a'.repeat(5000)}](https://evil.example/${'b'.repeat(5000)}.png)`,
];

describe('hostile model output in the webview', () => {
  const h = new WebviewHarness();
  const dialogs: string[] = [];
  before(async () => {
    await h.start();
    h.page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await h.send({ type: 'snapshot', messages: [], busy: false, model: { endpoint: 'E', model: 'm' } });
  });
  after(() => h.stop());

  it(`runs and loads nothing from ${PAYLOADS.length} payloads, streamed and final`, async () => {
    assert.ok(PAYLOADS.length >= 50);
    const requestsBefore = h.foreignRequests.length;
    for (const [n, payload] of PAYLOADS.entries()) {
      const id = `x${n}`;
      await h.send({ type: 'messageAdded', message: { id, role: 'assistant', text: '', state: 'streaming', seq: 0 } });
      const parts = payload.match(/[\s\S]{1,5}/g)!;
      await h.send(...parts.map((text, i) => ({ type: 'delta' as const, id, seq: i + 1, text })));
      await h.send({ type: 'delta', id, seq: parts.length + 1, text: '', end: { state: 'done' } });
    }
    await h.page.waitForTimeout(500);
    const found = await h.page.evaluate(() => {
      const bad: string[] = [];
      for (const md of Array.from(document.querySelectorAll('article .markdown'))) {
        const id = md.closest('article')!.getAttribute('data-id');
        for (const el of Array.from(
          md.querySelectorAll(
            'script, iframe, object, embed, img, svg, style, link, meta, base, form, input, video, audio, source, math, details, marquee, body',
          ),
        ))
          bad.push(`${id}: <${el.tagName.toLowerCase()}>`);
        for (const el of Array.from(md.querySelectorAll('*'))) {
          for (const attr of Array.from(el.attributes))
            if (/^on/i.test(attr.name) || attr.name === 'style' || attr.name === 'srcdoc')
              bad.push(`${id}: ${attr.name} on <${el.tagName.toLowerCase()}>`);
        }
        for (const a of Array.from(md.querySelectorAll('a[href]'))) {
          const href = a.getAttribute('href')!.trim().toLowerCase();
          if (/^(javascript|vbscript|file|data:text)/.test(href)) bad.push(`${id}: link to ${href.slice(0, 40)}`);
        }
      }
      return { bad, pwned: (window as any).__pwned };
    });
    assert.deepEqual(found.bad, []);
    assert.equal(found.pwned, undefined, 'no payload ran');
    assert.deepEqual(dialogs, []);
    assert.deepEqual(h.foreignRequests.slice(requestsBefore), [], 'no request left the page');
    assert.equal(await h.page.locator('article[data-state="done"]').count(), PAYLOADS.length, 'every answer rendered and finished');
  });
});
