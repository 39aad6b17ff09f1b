import { homedir } from 'node:os';
import * as vscode from 'vscode';
import type { ToolDescriptor, ToolSupport } from '../../tools/toolSupport';
import type { McpInput } from '../../tools/mcp/mcpConfig';
import { McpConnections } from '../../tools/mcp/mcpConnections';
import { McpInputStore, type InputOwner } from '../../tools/mcp/mcpInputs';
import { withProgressUi } from '../../tools/progressUi';
import { ToolResultFiles } from '../../tools/toolResultFiles';
import { loadMcpServers } from '../../tools/mcp/mcpResolve';
import { McpToolSupport } from '../../tools/mcp/mcpToolSupport';
import type { Settings } from '../settings/settings';
import { readWorkspaceFile } from '../workspaceFile';
import { Disposable } from '../../shared/disposable';
import { Emitter } from '../../shared/event';
import { Elicitations } from './elicitation';
import { ToolChoices, withChoices } from '../../tools/toolChoices';
import { attachToolsMenu, mementoChoiceStore, type ToolsMenuView } from './toolsMenuController';
import type { IDisposable } from '../../shared/disposable';
import { McpSignIn } from './signIn';
import { EraMemo } from '../../tools/mcp/eraMemo';

/** globalState: which stdio servers spoke only the 2025 handshake, and when that was seen. */
const ERAS_KEY = 'modelChat.mcpEras';

/** A hand-written mcp.json is a few KiB; anything near this is not one. */
const MAX_MCP_JSON_BYTES = 1024 * 1024;

const ALWAYS_KEY = 'modelChat.tools.alwaysAllowed';

/**
 * MCP for the extension: servers from the setting and the workspace's .vscode/mcp.json (only in a trusted
 * workspace), loaded on the first turn that may use tools and again whenever either changes; inputs asked
 * per server (passwords kept in SecretStorage); long calls in the progress UI; a command listing the servers.
 */
export class McpHost extends Disposable {
  readonly connections: McpConnections;
  readonly tools: ToolSupport;
  /** Servers' forms in the chat; `attach` it to the view. */
  readonly elicitations: Elicitations;
  /** Which servers and tools each conversation offers (the chat's tools menu). */
  readonly choices: ToolChoices;
  /** Signing in to HTTP servers (OAuth); its `registerMessages` puts the "Sign in" notice in a chat. */
  readonly signIn: McpSignIn;
  private loaded: Promise<void> | undefined;
  private readonly inputs: McpInputStore;
  private readonly resultFiles: ToolResultFiles;
  private closing: Promise<void> | undefined;
  private readonly listsChanged = this.register(new Emitter<void>());
  /** A server's prompts, resources or tools may have changed (list_changed, a start, a stop): the `/` menu is re-sent. */
  readonly onDidChangeLists = this.listsChanged.event;

  constructor(
    context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    /** Approval, timeouts and the servers setting are the user's (settings.ts): a workspace cannot loosen or redirect them. */
    private readonly settings: Pick<Settings, 'toolApproval' | 'toolTimeoutMs' | 'mcpServers' | 'onDidDecide'>,
  ) {
    super();
    this.resultFiles = new ToolResultFiles(vscode.Uri.joinPath(context.globalStorageUri, 'tool-results').fsPath);
    this.inputs = new McpInputStore({
      secrets: context.secrets,
      userState: context.globalState,
      workspaceState: context.workspaceState,
      workspace: () => (vscode.workspace.workspaceFile ?? vscode.workspace.workspaceFolders?.[0]?.uri)?.toString(),
      prompt: (input, owner) => this.promptInput(input, owner),
    });
    this.elicitations = new Elicitations({
      runningCalls: (server) => support.runningCalls(server),
      openExternal: async (url) => vscode.env.openExternal(vscode.Uri.parse(url, true)),
      log,
    });
    this.signIn = this.register(new McpSignIn(context.secrets, log, () => this.startServers()));
    this.connections = new McpConnections([], {
      auth: this.signIn.authOptions,
      eras: new EraMemo({
        read: () => context.globalState.get<Record<string, number>>(ERAS_KEY),
        write: (verdicts) => void context.globalState.update(ERAS_KEY, verdicts),
      }),
      logger: log,
      clientInfo: { name: 'model-chat', version: String(context.extension.packageJSON.version ?? '0') },
      elicit: this.elicitations.elicit,
      onDidChange: () => this.listsChanged.fire(),
      onListChanged: () => this.listsChanged.fire(),
    });
    this.signIn.attach(this.connections);
    const support: McpToolSupport = new McpToolSupport(this.connections, {
      approval: () => settings.toolApproval(),
      timeoutMs: () => settings.toolTimeoutMs(),
      alwaysAllowed: () => new Set(context.workspaceState.get<string[]>(ALWAYS_KEY, [])),
      rememberAlwaysAllowed: (key) =>
        void context.workspaceState.update(ALWAYS_KEY, [...new Set([...context.workspaceState.get<string[]>(ALWAYS_KEY, []), key])]),
      resultFiles: this.resultFiles,
      aroundRun: (call, run, cancel) =>
        withProgressUi(`Model Chat: ${call.name}`, run, cancel, { withProgress: (title, task) => this.withProgress(title, task) }),
    });
    this.choices = new ToolChoices(mementoChoiceStore(context.globalState, context.workspaceState));
    // Loading waits for the first turn: nothing starts (and nobody is asked for inputs) before tools are wanted.
    // Only the tools the conversation has on are offered (and so can be called at all).
    this.tools = withChoices(
      {
        list: async (signal) => {
          await (this.loaded ??= this.reload());
          return support.list(signal);
        },
        needsApproval: (tool) => support.needsApproval(tool),
        alwaysAllow: (tool) => support.alwaysAllow(tool),
        run: (call, options) => support.run(call, options),
      },
      this.choices,
    );
    const watcher = vscode.workspace.createFileSystemWatcher('**/.vscode/mcp.json');
    const changed = () => {
      if (this.loaded) this.loaded = this.reload();
    };
    for (const d of [
      watcher,
      watcher.onDidChange(changed),
      watcher.onDidCreate(changed),
      watcher.onDidDelete(changed),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('modelChat.mcp.servers') && changed()),
      settings.onDidDecide((key) => key === 'mcp.servers' && changed()),
      vscode.workspace.onDidGrantWorkspaceTrust(changed),
      vscode.commands.registerCommand('modelChat.mcp.showServers', () => this.showServers()),
    ])
      this.register(d);
  }

  /**
   * The tools menu in a chat view: opening it starts the servers, as a turn would. `builtIn`: the built-in
   * tools the settings and trust allow (before any choice), listed first as their own server.
   */
  attachToolsMenu(view: ToolsMenuView, builtIn?: { server: string; list(): Promise<ToolDescriptor[]> }): IDisposable {
    return attachToolsMenu(
      this.choices,
      {
        allTools: async (start) => {
          const own = (await builtIn?.list()) ?? [];
          if (!start && !this.loaded) return own;
          await (this.loaded ??= this.reload());
          if (start) await this.connections.ensureStarted();
          return [
            ...own,
            ...this.connections.tools.map((t) => ({
              name: t.name,
              description: t.description ?? t.title,
              inputSchema: t.inputSchema as Record<string, unknown>,
              server: t.server,
            })),
          ];
        },
        serverNames: () => [...(builtIn ? [builtIn.server] : []), ...this.connections.status.map((s) => s.name)],
      },
      view,
    );
  }

  /** Loads the configuration (once) and starts the servers not running yet: for the `/` menu and the resource picker. */
  async startServers(): Promise<void> {
    await (this.loaded ??= this.reload());
    await this.connections.ensureStarted();
  }

  /** Stops the servers (their processes and sessions); deactivate waits for it. Safe to call twice. */
  override dispose(): Promise<void> {
    super.dispose();
    return (this.closing ??= this.connections.dispose());
  }

  private async reload(): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    let workspaceJson: string | undefined;
    if (folder) {
      // The repository decides what this path is: only a small regular file inside the workspace is read.
      const read = await readWorkspaceFile(vscode.Uri.joinPath(folder.uri, '.vscode', 'mcp.json'), {
        maxBytes: MAX_MCP_JSON_BYTES,
        insideWorkspace: true,
      }).catch((err: unknown) => ({ ok: false as const, code: 'unreadable' as const, reason: String(err) }));
      if (read.ok) workspaceJson = new TextDecoder().decode(read.bytes);
      else if (read.code !== 'missing') this.log.warn(`Not reading .vscode/mcp.json: ${read.reason}`);
    }
    const result = await loadMcpServers(
      { settingsServers: this.settings.mcpServers(), workspaceJson },
      {
        trusted: vscode.workspace.isTrusted,
        workspaceFolder: folder?.uri.fsPath,
        userHome: homedir(),
        env: process.env,
        resolveInput: (input, owner) => this.inputs.resolve(input, owner),
      },
    );
    for (const p of result.problems) this.log.warn(p.message);
    if (result.blocked.length) {
      const names = result.blocked.map((b) => b.name).join(', ');
      this.log.warn(`Not starting MCP servers from .vscode/mcp.json in an untrusted workspace: ${names}`);
    }
    await this.connections.updateConfig(result.servers);
    this.log.info(
      `MCP: ${result.servers.length} server(s) configured${result.blocked.length ? `, ${result.blocked.length} blocked (untrusted workspace)` : ''}`,
    );
  }

  private promptInput(input: McpInput, owner: InputOwner): Thenable<string | undefined> {
    const where = owner.source === 'settings' ? 'your settings' : 'this workspace';
    return vscode.window.showInputBox({
      title: `MCP input: ${input.id} (server "${owner.name}", from ${where})`,
      prompt: input.description,
      password: input.password,
      ignoreFocusOut: true,
      value: input.default,
    });
  }

  private withProgress(
    title: string,
    task: (report: (value: { message?: string; increment?: number }) => void, onCancel: (cancel: () => void) => void) => Promise<unknown>,
  ): void {
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) =>
      task(
        (value) => progress.report(value),
        (cancel) => token.onCancellationRequested(cancel),
      ),
    );
  }

  /** The card's "Open full result": the whole text of a truncated tool result, kept on disk. */
  async openFullResult(fileId: string): Promise<void> {
    const path = this.resultFiles.pathOf(fileId);
    if (!path) {
      void vscode.window.showWarningMessage('The full tool result is no longer kept (only the newest are).');
      return;
    }
    await vscode.window.showTextDocument(vscode.Uri.file(path), { preview: true });
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
        label: `$(${s.state === 'running' ? 'pass' : s.state === 'error' ? 'error' : s.state === 'needsAuth' ? 'lock' : 'circle-outline'}) ${s.name}`,
        description: `${s.state === 'needsAuth' && s.canSignIn ? 'needs sign-in: pick to sign in' : s.state} · ${s.toolCount} tools · ${s.type} · ${s.source}`,
        detail:
          s.message ??
          this.connections.tools
            .filter((t) => t.server === s.name)
            .map((t) => t.name)
            .join(', '),
        name: s.name,
      })),
      { title: 'MCP servers', placeHolder: 'Pick a server to restart it' },
    );
    if (!pick) return;
    if (status.find((s) => s.name === pick.name && s.state === 'needsAuth' && s.canSignIn)) return this.signIn.signIn(pick.name);
    await this.connections.restart(pick.name);
    void vscode.window.showInformationMessage(`MCP server ${pick.name} restarted.`);
  }
}
