/**
 * Signing in to HTTP MCP servers, the editor's half: tokens and client registrations in SecretStorage (the key
 * holds the server's name and URL), the browser opened with `env.openExternal` only after the user pressed
 * "Sign in" (in the chat's notice, the servers list or the palette), a progress notification that can cancel
 * it, and "Sign out of MCP server…". The protocol is src/tools/mcp/oauth.
 */
import * as vscode from 'vscode';
import type { McpConnections, ServerStatus } from '../../tools/mcp/mcpConnections';
import type { OpenSignInPage } from '../../tools/mcp/oauth/oauthProvider';
import type { McpAuthOptions } from '../../tools/mcp/oauth/serverAuth';
import type { HostToWebview } from '../../shared/protocol';
import { Disposable, type IDisposable } from '../../shared/disposable';
import type { Event } from '../../shared/event';
import { messageOf } from '../../shared/errors';
import type { MessageRouter } from '../view/messageRouter';
import { CLIENT_METADATA_URL } from '../../tools/mcp/oauth/clientMetadata';

const ACTION = 'mcpSignIn:';

export class McpSignIn extends Disposable {
  private connections?: McpConnections;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
    /** Loads the configuration and starts the servers (the palette commands may come first). */
    private readonly startServers: () => Promise<void>,
  ) {
    super();
    this.register(vscode.commands.registerCommand('modelChat.mcpSignIn', (server?: string) => this.pickAndSignIn(server)));
    this.register(vscode.commands.registerCommand('modelChat.mcpSignOut', (server?: string) => this.pickAndSignOut(server)));
  }

  /** What McpConnections needs to sign in. */
  get authOptions(): McpAuthOptions {
    return { store: this.secrets, openSignInPage: this.openSignInPage, clientName: 'Model Chat', clientMetadataUrl: CLIENT_METADATA_URL };
  }

  attach(connections: McpConnections): void {
    this.connections = connections;
  }

  /**
   * The chat's notice: when a server comes to need sign-in, the page says so with a "Sign in" button. Once
   * per server and state change, not on every status update.
   */
  registerMessages(router: MessageRouter, post: (message: HostToWebview) => void, onDidChange: Event<void>): IDisposable[] {
    const told = new Set<string>();
    const update = () => {
      for (const s of this.connections?.status ?? []) {
        if (s.state !== 'needsAuth' || !s.canSignIn) {
          told.delete(s.name);
          continue;
        }
        if (told.has(s.name)) continue;
        told.add(s.name);
        post({
          type: 'notice',
          text: `MCP server "${s.name}": ${s.message ?? 'it needs you to sign in.'}`,
          action: { label: 'Sign in', id: `${ACTION}${s.name}` },
        });
      }
    };
    return [
      onDidChange(update),
      router.on('noticeAction', (m) => {
        if (m.id.startsWith(ACTION)) void this.signIn(m.id.slice(ACTION.length));
      }),
    ];
  }

  /** The browser step; the SDK asks only after the user pressed "Sign in" (userStarted). */
  private readonly openSignInPage: OpenSignInPage = async ({ server, url, userStarted }) => {
    if (!userStarted) return false;
    this.log.info(`MCP server "${server}": opening its sign-in page at ${url.origin}`);
    return vscode.env.openExternal(vscode.Uri.parse(url.toString(), true));
  };

  /** Signs in with a cancellable progress notification; says how it went. */
  async signIn(server: string): Promise<void> {
    const connections = this.connections;
    if (!connections) return;
    try {
      await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Signing in to MCP server "${server}": finish in your browser…`,
          cancellable: true,
        },
        async (_progress, token) => {
          const abort = new AbortController();
          const sub = token.onCancellationRequested(() => abort.abort(new Error('Sign-in cancelled')));
          try {
            await connections.signIn(server, abort.signal);
          } finally {
            sub.dispose();
          }
        },
      );
      const status = connections.status.find((s) => s.name === server);
      if (status?.state === 'running')
        void vscode.window.showInformationMessage(`Signed in to MCP server "${server}" (${status.toolCount} tools).`);
      else void vscode.window.showWarningMessage(`MCP server "${server}" after sign-in: ${status?.message ?? status?.state}`);
    } catch (e) {
      this.log.warn(`MCP server "${server}": sign-in failed: ${messageOf(e)}`);
      void vscode.window.showErrorMessage(`Signing in to MCP server "${server}" did not complete: ${messageOf(e)}`);
    }
  }

  private async pickAndSignIn(server?: string): Promise<void> {
    const name = server ?? (await this.pickServer('Sign in to MCP server', (s) => s.state === 'needsAuth'));
    if (name) await this.signIn(name);
  }

  private async pickAndSignOut(server?: string): Promise<void> {
    const name = server ?? (await this.pickServer('Sign out of MCP server', () => true));
    if (!name || !this.connections) return;
    await this.connections.signOut(name);
    void vscode.window.showInformationMessage(`Signed out of MCP server "${name}": its saved tokens are deleted.`);
  }

  private async pickServer(title: string, first: (s: ServerStatus) => boolean): Promise<string | undefined> {
    await this.startServers();
    const servers = (this.connections?.status ?? []).filter((s) => s.canSignIn).sort((a, b) => Number(first(b)) - Number(first(a)));
    if (!servers.length) {
      void vscode.window.showInformationMessage('No HTTP MCP servers are configured.');
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      servers.map((s) => ({ label: s.name, description: s.state, detail: s.message })),
      { title },
    );
    return pick?.label;
  }
}
