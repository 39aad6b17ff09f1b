/**
 * Serves the real webview bundle in the real page markup (same CSP) with a stand-in for VS Code's
 * webview API that records what the page posts, and opens it in Debian's headless Chromium.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { buildSync } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { pageHtml } from '../../src/extension/view/pageHtml';
import type { HostToWebview, WebviewToHost } from '../../src/shared/protocol';

const root = join(__dirname, '..', '..');
const types: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.ttf': 'font/ttf',
  '.html': 'text/html',
  '.map': 'application/json',
};

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** What the stand-in API keeps in the page. */
const PRELUDE = `
window.__posted = [];
window.__name = (f) => f; // tsx keeps function names with a helper that page.evaluate callbacks lack
window.__state = JSON.parse(sessionStorage.getItem('state') || 'null');
window.acquireVsCodeApi = () => ({
  postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
  getState: () => window.__state,
  setState: (s) => { window.__state = s; sessionStorage.setItem('state', JSON.stringify(s)); },
});`;

export class WebviewHarness {
  private server: Server | undefined;
  private browser: Browser | undefined;
  page!: Page;
  /** Requests the page made for anything but the harness's own files. */
  readonly foreignRequests: string[] = [];

  async start(
    opts: {
      width?: number;
      height?: number;
      theme?: string;
      probe?: boolean;
      /** The page's script, served in place of dist/webview.js: the benchmarks' baseline builds (bench/baselines). */
      webviewJs?: string;
    } = {},
  ): Promise<void> {
    const probe = opts.probe
      ? buildSync({ entryPoints: [join(__dirname, 'probe.ts')], bundle: true, write: false, format: 'iife', platform: 'browser' })
          .outputFiles[0].text
      : '';
    this.server = createServer(async (req, res) => {
      const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]));
      if (path === '/index.html') {
        const origin = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
        res.writeHead(200, { 'Content-Type': 'text/html' });
        return res.end(
          pageHtml({
            cspSource: origin,
            nonce: 'test-nonce-123',
            codiconCss: '/dist/codicons/codicon.css',
            chatCss: '/media/chat.css',
            script: '/dist/webview.js',
            prelude: PRELUDE + probe,
          })
            .replace('<body>', `<body class="${opts.theme ?? 'vscode-dark'}">`)
            .replace('</head>', `<link href="/test/webview/theme.css" rel="stylesheet"></head>`),
        );
      }
      if (path === '/dist/webview.js' && opts.webviewJs !== undefined) {
        res.writeHead(200, { 'Content-Type': 'text/javascript' });
        return res.end(opts.webviewJs);
      }
      if (!/^\/(dist|media|test\/webview)\//.test(path)) {
        res.writeHead(404);
        return res.end();
      }
      try {
        const body = await readFile(join(root, path));
        res.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream' });
        res.end(body);
      } catch {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    try {
      await this.open(opts);
    } catch (e) {
      // Once in CI (7 December) Chromium's browser process exited while the first page loaded, before any
      // of our code ran. A second launch says whether it was the machine or the page; its own log says why.
      if (this.browser?.isConnected() !== false) throw e;
      process.stderr.write(`Chromium exited while the page loaded (${e}); the end of its log:\n${this.browserLog.slice(-40).join('\n')}\n`);
      await this.browser?.close().catch(() => {});
      await this.open(opts);
    }
  }

  private readonly browserLog: string[] = [];

  private async open(opts: { width?: number; height?: number }): Promise<void> {
    this.browserLog.length = 0;
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      logger: { isEnabled: (name) => name === 'browser', log: (_name, _sev, message) => void this.browserLog.push(String(message)) },
    });
    this.page = await this.browser.newPage({ viewport: { width: opts.width ?? 420, height: opts.height ?? 640 } });
    const origin = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    this.page.on('request', (r) => {
      // A blob: of this origin is bytes the page's own script made (the highlighting worker): nothing leaves the page.
      if (!r.url().startsWith(origin) && !r.url().startsWith(`blob:${origin}/`)) this.foreignRequests.push(r.url());
    });
    await this.page.goto(`${origin}/index.html`);
    await this.page.waitForFunction(() => (window as any).__posted?.length > 0);
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Delivers messages the way VS Code does: as `message` events on the page's window. */
  async send(...messages: Array<HostToWebview>): Promise<void> {
    await this.page.evaluate((ms) => {
      for (const m of ms) window.dispatchEvent(new MessageEvent('message', { data: m }));
    }, messages);
  }

  async posted(): Promise<WebviewToHost[]> {
    return this.page.evaluate(() => (window as any).__posted);
  }

  async clearPosted(): Promise<void> {
    await this.page.evaluate(() => ((window as any).__posted.length = 0));
  }
}
