import { homedir } from 'node:os';
import * as vscode from 'vscode';
import type { ToolCall } from '../streaming/events';
import type { ToolSupport } from '../streaming/toolSupport';
import type { McpInput } from '../tools/mcpConfig';
import { McpConnections } from '../tools/mcpConnections';
import { loadMcpServers } from '../tools/mcpResolve';
import { McpToolSupport } from '../tools/mcpToolSupport';

const ALWAYS_KEY = 'modelChat.tools.alwaysAllowed';
/** Calls longer than this also show in VS Code's progress UI. */
const PROGRESS_UI_AFTER_MS = 1500;

/**
 * MCP for the extension: servers from the setting and the workspace's .vscode/mcp.json (only in a trusted
 * workspace), loaded on the first turn that may use tools and again whenever either changes; inputs asked
 * once (passwords kept in SecretStorage); long calls in the progress UI; a command listing the servers.
 */
export class McpHost implements vscode.Disposable {
  readonly connections: McpConnections;
  readonly tools: ToolSupport;
  private loaded: Promise<void> | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.connections = new McpConnections([], { logger: log, clientInfo: { name: 'model-chat', version: String(context.extension.packageJSON.version ?? '0') } });
    const support = new McpToolSupport(this.connections, {
      approval: () => vscode.workspace.getConfiguration('modelChat').get<string>('tools.approval', 'ask'),
      timeoutMs: () => 1000 * vscode.workspace.getConfiguration('modelChat').get<number>('tools.timeoutSeconds', 60),
      alwaysAllowed: () => new Set(context.workspaceState.get<string[]>(ALWAYS_KEY, [])),
      rememberAlwaysAllowed: (key) => void context.workspaceState.update(ALWAYS_KEY, [...new Set([...context.workspaceState.get<string[]>(ALWAYS_KEY, []), key])]),
      aroundRun: (call, run, cancel) => this.withProgressUi(call, run, cancel),
    });
    // Loading waits for the first turn: nothing starts (and nobody is asked for inputs) before tools are wanted.
    this.tools = {
      list: async (signal) => {
        await (this.loaded ??= this.reload());
        return support.list(signal);
      },
      needsApproval: (tool) => support.needsApproval(tool),
      alwaysAllow: (tool) => support.alwaysAllow(tool),
      run: (call, options) => support.run(call, options),
    };
    const watcher = vscode.workspace.createFileSystemWatcher('**/.vscode/mcp.json');
    const changed = () => {
      if (this.loaded) this.loaded = this.reload();
    };
    this.disposables.push(
      watcher,
      watcher.onDidChange(changed),
      watcher.onDidCreate(changed),
      watcher.onDidDelete(changed),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('modelChat.mcp.servers') && changed()),
      vscode.workspace.onDidGrantWorkspaceTrust(changed),
      vscode.commands.registerCommand('modelChat.mcp.showServers', () => this.showServers()),
    );
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    void this.connections.dispose();
  }

  private async reload(): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    let workspaceJson: string | undefined;
    if (folder) {
      try {
        workspaceJson = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, '.vscode', 'mcp.json')));
      } catch {
        workspaceJson = undefined;
      }
    }
    const result = await loadMcpServers(
      { settingsServers: vscode.workspace.getConfiguration('modelChat').get('mcp.servers'), workspaceJson },
      { trusted: vscode.workspace.isTrusted, workspaceFolder: folder?.uri.fsPath, userHome: homedir(), env: process.env, resolveInput: (input) => this.resolveInput(input) },
    );
    for (const p of result.problems) this.log.warn(p.message);
    if (result.blocked.length) {
      const names = result.blocked.map((b) => b.name).join(', ');
      this.log.warn(`Not starting MCP servers from .vscode/mcp.json in an untrusted workspace: ${names}`);
    }
    await this.connections.updateConfig(result.servers);
    this.log.info(`MCP: ${result.servers.length} server(s) configured${result.blocked.length ? `, ${result.blocked.length} blocked (untrusted workspace)` : ''}`);
  }

  private async resolveInput(input: McpInput): Promise<string | undefined> {
    const key = `modelChat.mcp.input.${input.id}`;
    const stored = input.password ? await this.context.secrets.get(key) : this.context.workspaceState.get<string>(key);
    if (stored !== undefined) return stored;
    const value = await vscode.window.showInputBox({ title: `MCP input: ${input.id}`, prompt: input.description, password: input.password, ignoreFocusOut: true, value: input.default });
    if (value === undefined) return undefined;
    if (input.password) await this.context.secrets.store(key, value);
    else await this.context.workspaceState.update(key, value);
    return value;
  }

  /** A call still running after a moment also shows in VS Code's progress UI, where it can be cancelled. */
  private async withProgressUi<T>(call: ToolCall, run: (onProgress: (p: number, t?: number, m?: string) => void) => Promise<T>, cancel: () => void): Promise<T> {
    let report: ((p: number, t?: number, m?: string) => void) | undefined;
    let last = 0;
    const running = run((p, t, m) => report?.(p, t, m));
    let settled = false;
    void running.finally(() => (settled = true)).catch(() => {});
    const timer = setTimeout(() => {
      if (settled) return;
      void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Model Chat: ${call.name}`, cancellable: true }, (progress, token) => {
        token.onCancellationRequested(cancel);
        report = (p, t, m) => {
          const fraction = t ? Math.min(1, p / t) : 0;
          progress.report({ message: m, increment: Math.max(0, fraction - last) * 100 });
          last = fraction;
        };
        return running.catch(() => undefined);
      });
    }, PROGRESS_UI_AFTER_MS);
    try {
      return await running;
    } finally {
      clearTimeout(timer);
    }
  }

  private async showServers(): Promise<void> {
    await (this.loaded ??= this.reload());
    await this.connections.ensureStarted();
    const status = this.connections.status;
    if (!status.length) {
      const choice = await vscode.window.showInformationMessage('No MCP servers are configured.', 'Open settings');
      if (choice) await vscode.commands.executeCommand('workbench.action.openSettings', 'modelChat.mcp.servers');
      return;
    }
    const pick = await vscode.window.showQuickPick(
      status.map((s) => ({
        label: `$(${s.state === 'running' ? 'pass' : s.state === 'error' ? 'error' : 'circle-outline'}) ${s.name}`,
        description: `${s.state} · ${s.toolCount} tools · ${s.type} · ${s.source}`,
        detail: s.message ?? this.connections.tools.filter((t) => t.server === s.name).map((t) => t.name).join(', '),
        name: s.name,
      })),
      { title: 'MCP servers', placeHolder: 'Pick a server to restart it' },
    );
    if (!pick) return;
    await this.connections.restart(pick.name);
    void vscode.window.showInformationMessage(`MCP server ${pick.name} restarted.`);
  }
}
