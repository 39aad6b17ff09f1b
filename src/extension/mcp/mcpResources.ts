/**
 * MCP resources in the editor: the + picker's "MCP resources…" (a quick pick of every running server's resources
 * and templates, read into context chips), and a tool card's resource links, opened read-only as `model-chat-mcp:`
 * documents or attached. Every read has a time limit and a Cancel.
 */
import * as vscode from 'vscode';
import type { ContextAttachment } from '../../streaming/chat/contextPrompt';
import {
  listResources,
  readResourceText,
  resourceAttachment,
  uriTemplate,
  type McpClients,
  type McpResourceRef,
  type McpResourceTemplateRef,
} from '../../tools/mcp/resources';

export const RESOURCE_SCHEME = 'model-chat-mcp';

export interface McpResourcesDeps {
  clients: McpClients;
  /** Loads the configuration and starts the servers (the picker is a use: servers start for it). */
  startServers(): Promise<void>;
  /** Adds chips (ContextController.addAttachments; set once the controller exists). */
  attach(items: Array<{ id: string; attachment: ContextAttachment }>): void;
  log: vscode.LogOutputChannel;
}

type Item = vscode.QuickPickItem & ({ resource: McpResourceRef } | { template: McpResourceTemplateRef });

export class McpResources implements vscode.TextDocumentContentProvider {
  constructor(private readonly deps: McpResourcesDeps) {}

  register(): vscode.Disposable {
    return vscode.workspace.registerTextDocumentContentProvider(RESOURCE_SCHEME, this);
  }

  /** The picker: several resources at once; a template asks for its variables. Attached with `attach` (a chat's). */
  readonly pick = async (attach: McpResourcesDeps['attach'] = this.deps.attach): Promise<void> => {
    const pick = vscode.window.createQuickPick<Item>();
    pick.title = 'Attach MCP resources';
    pick.placeholder = 'Starting MCP servers…';
    pick.canSelectMany = true;
    pick.matchOnDescription = true;
    pick.matchOnDetail = true;
    pick.busy = true;
    pick.show();
    const cancel = new AbortController();
    const chosen = new Promise<readonly Item[]>((resolve) => {
      // Enter with nothing checked takes the highlighted item, else the first that matches what was typed (a
      // many-select pick highlights nothing until the arrows are used).
      pick.onDidAccept(() => {
        if (pick.selectedItems.length || pick.activeItems.length)
          return resolve(pick.selectedItems.length ? pick.selectedItems : pick.activeItems);
        const typed = pick.value.trim().toLowerCase();
        const first = pick.items.find((i) => [i.label, i.description, i.detail].some((t) => t?.toLowerCase().includes(typed)));
        resolve(first ? [first] : []);
      });
      pick.onDidHide(() => resolve([]));
    });
    const load = (async () => {
      await this.deps.startServers();
      const listed = await listResources(this.deps.clients, { signal: cancel.signal });
      for (const p of listed.problems) this.deps.log.warn(p);
      pick.items = [
        ...listed.resources.map((r): Item => ({
          label: r.title ?? r.name,
          description: r.server,
          detail: r.description ?? r.uri,
          resource: r,
        })),
        ...listed.templates.map((t): Item => ({
          label: `$(symbol-variable) ${t.title ?? t.name}`,
          description: t.server,
          detail: t.uriTemplate,
          template: t,
        })),
      ];
      pick.placeholder = pick.items.length ? 'Type to filter; check several, then press Enter' : 'No running MCP server offers resources';
      pick.busy = false;
    })().catch((e: unknown) => {
      if (!cancel.signal.aborted) this.deps.log.warn(`Listing MCP resources failed: ${(e as Error).message}`);
    });
    const items = await chosen;
    cancel.abort();
    pick.dispose();
    await load;
    const refs: McpResourceRef[] = [];
    for (const item of items) {
      if ('resource' in item) refs.push(item.resource);
      else {
        const ref = await this.fillTemplate(item.template);
        if (ref) refs.push(ref);
      }
    }
    await this.attachAll(refs, attach);
  };

  /** A tool card's link: read and attached as a chip. */
  async attachLink(server: string, uri: string, name: string, attach: McpResourcesDeps['attach'] = this.deps.attach): Promise<void> {
    await this.attachAll([{ server, uri, name }], attach);
  }

  /** A tool card's link: opened read-only in an editor. */
  async open(server: string, uri: string): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(documentUri(server, uri));
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  /** `model-chat-mcp:` documents: the resource read afresh (text only; a refusal says why). */
  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const params = new URLSearchParams(uri.query);
    const server = params.get('server') ?? '';
    const resourceUri = params.get('uri') ?? '';
    const cancel = new AbortController();
    const listener = token.onCancellationRequested(() => cancel.abort());
    try {
      await this.deps.startServers();
      const read = await readResourceText(this.deps.clients, server, resourceUri, { signal: cancel.signal });
      if (!read.ok) return read.reason;
      return read.resource.parts.map((p) => p.text).join('\n\n');
    } finally {
      listener.dispose();
    }
  }

  private async fillTemplate(template: McpResourceTemplateRef): Promise<McpResourceRef | undefined> {
    const parsed = await uriTemplate(template.uriTemplate);
    const values: Record<string, string> = {};
    for (const name of parsed.variables) {
      const value = await vscode.window.showInputBox({
        title: `${template.title ?? template.name} (${template.server})`,
        prompt: `${name} for ${template.uriTemplate}${template.description ? ` — ${template.description}` : ''}`,
        ignoreFocusOut: true,
      });
      if (value === undefined) return undefined;
      values[name] = value;
    }
    const uri = parsed.expand(values);
    return {
      server: template.server,
      uri,
      name: Object.values(values).join(' ') || template.name,
      ...(template.mimeType ? { mimeType: template.mimeType } : {}),
    };
  }

  private async attachAll(refs: McpResourceRef[], attach: McpResourcesDeps['attach']): Promise<void> {
    if (!refs.length) return;
    const refused: string[] = [];
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Reading MCP resources', cancellable: true },
      async (progress, token) => {
        const cancel = new AbortController();
        const listener = token.onCancellationRequested(() => cancel.abort());
        try {
          await this.deps.startServers();
          const items: Array<{ id: string; attachment: ContextAttachment }> = [];
          for (const ref of refs) {
            if (cancel.signal.aborted) return;
            progress.report({ message: ref.name, increment: 100 / refs.length });
            const read = await readResourceText(this.deps.clients, ref.server, ref.uri, {
              signal: cancel.signal,
              knownSize: ref.size,
            }).catch((e: unknown) => ({ ok: false as const, reason: cancel.signal.aborted ? '' : String((e as Error).message) }));
            if (read.ok)
              items.push({ id: `mcp:${ref.server}:${ref.uri}`, attachment: resourceAttachment(read.resource, ref.title ?? ref.name) });
            else if (read.reason) refused.push(read.reason);
          }
          attach(items);
        } finally {
          listener.dispose();
        }
      },
    );
    for (const r of refused) this.deps.log.warn(`Context: ${r}`);
    if (refused.length) void vscode.window.showWarningMessage(refused.join(' '));
  }
}

/** The read-only document of a resource: the name in the path (the tab's title), the rest in the query. */
function documentUri(server: string, uri: string): vscode.Uri {
  const name = uri.replace(/\/+$/, '').split('/').pop() || 'resource';
  return vscode.Uri.from({ scheme: RESOURCE_SCHEME, path: `/${server}/${name}`, query: new URLSearchParams({ server, uri }).toString() });
}
