import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ModelLabel, WebviewToHost } from '../shared/protocol';
import { ChatSession, type EndpointConfig } from '../streaming/chatSession';
import { ConversationStore, type StoreProblem } from '../streaming/conversationStore';
import { createProvider } from '../streaming/createProvider';
import { ChatViewProvider } from './chatViewProvider';
import { readInstructions } from './instructionFiles';
import { McpHost } from './mcpHost';
import { apiKeySecretName, registerCommands } from './commands';
import { Settings } from './settings';

let store: ConversationStore | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Model Chat', { log: true });
  // Workspace-scoped when a folder is open, the global storage otherwise.
  store = new ConversationStore({ dir: join((context.storageUri ?? context.globalStorageUri).fsPath, 'conversations'), log });
  const settings = new Settings(context.globalState, log);
  let view: ChatViewProvider | undefined = undefined;
  const statusBar = vscode.window.createStatusBarItem('modelChat.model', vscode.StatusBarAlignment.Right, 100);
  statusBar.name = 'Model Chat model';
  statusBar.command = 'modelChat.selectModel';
  const showModel = (model: ModelLabel) => {
    statusBar.text = `$(sparkle) ${model.model ?? model.endpoint}`;
    statusBar.tooltip = `Model Chat: ${model.endpoint} · ${model.model ?? 'no model yet'}. Click to select another model.`;
    statusBar.show();
  };
  const providerFor = async (endpoint: EndpointConfig) =>
    createProvider(endpoint, endpoint.type === 'openai' ? await context.secrets.get(apiKeySecretName(endpoint.name)) : undefined, settings.ollama());
  const mcp = new McpHost(context, log);
  const session = new ChatSession({
    config: () => settings.session(),
    providerFor,
    tools: mcp.tools,
    persist: store,
    instructions: readInstructions,
    post: (message) => {
      if (typeof message !== 'string' && (message.type === 'model' || message.type === 'snapshot')) showModel(message.model);
      view?.post(message);
    },
    log,
  });
  showModel(session.modelLabel());

  const revealChat = async () => {
    await vscode.commands.executeCommand(`${ChatViewProvider.viewId}.focus`);
  };
  const onModelChanged = () => {
    showModel(session.modelLabel());
    view?.post({ type: 'model', model: session.modelLabel() });
    void session.refreshModel();
  };

  const handle = (message: WebviewToHost): void => {
    switch (message.type) {
      case 'ready':
        view?.post(session.snapshot());
        void session.refreshModel();
        return;
      case 'send':
        if (!session.send(message.text)) view?.post({ type: 'sendRefused', text: message.text, reason: 'An answer is still being written: stop it or wait for it to finish.' });
        return;
      case 'stop':
        return session.stop();
      case 'newChat':
        return void session.clear();
      case 'selectModel':
        return void vscode.commands.executeCommand('modelChat.selectModel');
      case 'openLink':
        return void openLink(message.href, log);
      case 'errorAction':
        return void runErrorAction(session, message.messageId, message.index, log);
      case 'toolApproval':
        return session.resolveApproval(message.id, message.decision);
      case 'cancelTool':
        return session.cancelTool(message.id);
      case 'copyText':
        return void vscode.env.clipboard.writeText(message.text);
      case 'insertCode':
        return void insertAtCursor(message.text);
      case 'log':
        return log[message.level](`[webview] ${message.message}`);
    }
  };

  view = new ChatViewProvider(context.extensionUri, log, handle, () => view?.post(session.snapshot()));
  context.subscriptions.push(
    log,
    statusBar,
    mcp,
    view,
    { dispose: () => session.dispose() },
    vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, view),
    ...registerCommands({ session, settings, log, secrets: context.secrets, providerFor, revealChat, onModelChanged }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('modelChat.endpoints') || e.affectsConfiguration('modelChat.defaultEndpoint') || e.affectsConfiguration('modelChat.defaultModel')) onModelChanged();
    }),
  );
  void restoreLatest(store, session, log);
  log.info('Model Chat activated');
}

/** Pending checkpoints are written before the extension host goes away. */
export async function deactivate(): Promise<void> {
  await store?.dispose();
}

/** Reopens the most recent conversation, unless the user has already started a new one. */
async function restoreLatest(store: ConversationStore, session: ChatSession, log: vscode.LogOutputChannel): Promise<void> {
  const { conversations, problems } = await store.list();
  reportProblems(problems, log);
  const latest = conversations[0];
  if (!latest) return;
  const { conversation, problems: more } = await store.load(latest.id);
  reportProblems(more, log);
  if (conversation && session.isEmpty) session.restore(conversation);
}

function reportProblems(problems: StoreProblem[], log: vscode.LogOutputChannel): void {
  if (!problems.length) return;
  for (const p of problems) log.error(`Conversation storage: ${p.file} ${p.reason}${p.movedTo ? ` (kept as ${p.movedTo})` : ''}`);
  void vscode.window.showWarningMessage(`Model Chat could not read ${problems.length} saved conversation file(s); they were kept aside. See the log for details.`, 'Show log').then((c) => c && log.show());
}

/**
 * Model output is untrusted: only web and mail links leave the editor, and only through VS Code. A link
 * without a scheme is a path in the workspace (`src/a.ts`, `src/a.ts#L12`): it opens in the editor.
 */
async function openLink(href: string, log: vscode.LogOutputChannel): Promise<void> {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(href)) return openWorkspacePath(href, log);
  let uri: vscode.Uri;
  try {
    uri = vscode.Uri.parse(href, true);
  } catch {
    return log.warn(`Not opening a malformed link: ${href.slice(0, 200)}`);
  }
  if (uri.scheme === 'http' || uri.scheme === 'https' || uri.scheme === 'mailto') await vscode.env.openExternal(uri);
  else log.warn(`Not opening a link with scheme '${uri.scheme}': ${href.slice(0, 200)}`);
}

async function openWorkspacePath(href: string, log: vscode.LogOutputChannel): Promise<void> {
  const [pathPart, fragment = ''] = href.split('#', 2);
  const path = decodeURIComponent(pathPart).replace(/^\.?\//, '');
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const uri = vscode.Uri.joinPath(folder.uri, path);
    // joinPath normalises `..`: refuse anything that ends up outside the folder.
    if (!uri.path.startsWith(folder.uri.path.replace(/\/?$/, '/'))) continue;
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      continue;
    }
    const line = Number(/^L(\d+)/.exec(fragment)?.[1] ?? 0);
    const selection = line > 0 ? new vscode.Range(line - 1, 0, line - 1, 0) : undefined;
    await vscode.window.showTextDocument(uri, { selection, preview: true });
    return;
  }
  log.warn(`Not opening a link that is neither a web address nor a file in the workspace: ${href.slice(0, 200)}`);
}

async function insertAtCursor(text: string): Promise<void> {
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (!editor) {
    void vscode.window.showInformationMessage('Open a file to insert the code into.');
    return;
  }
  await editor.edit((edit) => {
    for (const selection of editor.selections) edit.replace(selection, text);
  });
  await vscode.window.showTextDocument(editor.document, editor.viewColumn);
}

async function runErrorAction(session: ChatSession, messageId: string, index: number, log: vscode.LogOutputChannel): Promise<void> {
  const action = session.errorAction(messageId, index);
  if (!action) return log.warn(`No error action ${index} on message ${messageId}`);
  switch (action.kind) {
    case 'retry':
      session.retry(messageId);
      return;
    case 'showLog':
      return log.show();
    case 'selectModel':
      await vscode.commands.executeCommand('modelChat.selectModel');
      return;
    case 'setApiKey':
      await vscode.commands.executeCommand('modelChat.setApiKey');
      return;
    case 'openSettings':
      await vscode.commands.executeCommand('workbench.action.openSettings', action.setting);
      return;
    case 'pullModel': {
      // The name came from the server or our own suggestion; still, it goes into a shell.
      if (!/^[\w.:/-]+$/.test(action.model)) return log.warn(`Not running ollama pull for a suspicious model name: ${action.model}`);
      const terminal = vscode.window.createTerminal({ name: 'Ollama' });
      terminal.show();
      terminal.sendText(`ollama pull ${action.model}`);
      return;
    }
  }
}
