import { join } from 'node:path';
import * as vscode from 'vscode';
import type { HostToWebview } from '../shared/protocol';
import type { EndpointConfig } from '../streaming/providers/provider';
import { ChatSessions } from '../streaming/chat/chatSessions';
import { ConversationStore } from '../history/conversationStore';
import { createProvider } from '../streaming/providers/createProvider';
import { DisposableStore, type IDisposable } from '../shared/disposable';
import { ChatViewProvider } from './view/chatViewProvider';
import { MessageRouter } from './view/messageRouter';
import { ChatController } from './chat/chatController';
import { batchedPost } from './chat/batchedPost';
import { SetupController } from './view/setupController';
import { ModelStatusBar } from './view/modelStatusBar';
import { registerViewActions } from './view/viewActions';
import { HistoryController } from './history/historyController';
import { reportProblems, restoreLatest } from './history/restoreLatest';
import { ContextController, registerContextCommands } from './context/contextController';
import { readInstructions } from './context/instructionFiles';
import { McpHost } from './mcp/mcpHost';
import { createApiKeys, registerCommands } from './commands/commands';
import { registerConversationCommands } from './commands/conversationCommands';
import { Settings } from './settings/settings';

/** What the extension exports: enough for other extensions and tests to tell whether it is answering. */
export interface ModelChatApi {
  isAnswering(): boolean;
  /** Whether a tool call in the shown conversation waits for the user's Allow. */
  isWaitingForApproval(): boolean;
}

/** What deactivate waits for: pending checkpoints written, MCP servers stopped. */
let shutdown: (() => Promise<unknown>) | undefined;

const MODEL_SETTINGS = ['endpoints', 'defaultEndpoint', 'defaultModel'];

/** Creates the parts and wires them together; what each does is in its own module. */
export function activate(context: vscode.ExtensionContext): ModelChatApi {
  const disposables = new DisposableStore();
  context.subscriptions.push(disposables);
  const add = (...items: IDisposable[]) => items.forEach((item) => disposables.add(item));
  const log = disposables.add(vscode.window.createOutputChannel('Model Chat', { log: true }));
  // Workspace-scoped when a folder is open, the global storage otherwise.
  const store = new ConversationStore({ dir: join((context.storageUri ?? context.globalStorageUri).fsPath, 'conversations'), log });
  const settings = disposables.add(new Settings(context.globalState, log, context.workspaceState));
  const apiKeys = createApiKeys(context.secrets, context.globalState, settings, log);
  const providerFor = async (endpoint: EndpointConfig) =>
    createProvider(endpoint, endpoint.type === 'openai' ? await apiKeys.get(endpoint) : undefined, settings.ollama());
  const mcp = disposables.add(new McpHost(context, log, settings));
  const router = new MessageRouter(log);
  const view = disposables.add(new ChatViewProvider(context.extensionUri, log, router));
  const post = batchedPost((message: HostToWebview) => view.post(message));
  const contextChips = disposables.add(new ContextController({ log, state: context.workspaceState }));
  const sessions = disposables.add(
    new ChatSessions({
      config: () => settings.session(),
      providerFor,
      tools: mcp.tools,
      persist: store,
      instructions: async (signal) => contextChips.filterInstructions(await readInstructions(signal)),
      post,
      log,
    }),
  );
  const history = new HistoryController({
    store,
    sessions,
    post,
    log,
    reportProblems: (problems) => reportProblems(problems, log),
    ask: (message, ...choices) => Promise.resolve(vscode.window.showWarningMessage(message, ...choices)),
    limitBytes: () => Math.max(1, vscode.workspace.getConfiguration('modelChat').get<number>('history.maxStorageMB', 200)) * 1024 * 1024,
    openLimitSetting: () => void vscode.commands.executeCommand('workbench.action.openSettings', 'modelChat.history.maxStorageMB'),
  });
  const limitTokens = () => settings.session().contextTokens;
  const chat = disposables.add(new ChatController({ sessions, context: contextChips, store, limitTokens, post, log }));
  const setup = disposables.add(new SetupController({ config: () => settings.session(), providerFor, sessions, post, log }));
  const statusBar = disposables.add(new ModelStatusBar(sessions));
  const onModelChanged = () => {
    void setup.check();
    statusBar.refresh();
    chat.modelChanged();
  };
  const revealChat = async () => {
    await vscode.commands.executeCommand(`${ChatViewProvider.viewId}.focus`);
  };

  // `ready` goes to all three, in this order: the empty state, the conversation, the context bar.
  add(
    setup.registerMessages(router),
    chat.registerMessages(router),
    history.registerMessages(router),
    contextChips.registerMessages(router),
  );
  add(registerViewActions(router, { log, post, openToolResult: (fileId) => mcp.openFullResult(fileId) }));
  // After the chat's `ready`: a reloaded view gets its open forms back after the conversation they belong in.
  add(mcp.elicitations.attach({ post, sessions, router }));
  add(
    history.followSessions(),
    view.onDidBecomeVisible(() => chat.showAgain()),
  );
  add(vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, view));
  add(...registerContextCommands(contextChips, revealChat));
  add(...registerCommands({ sessions, settings, log, apiKeys, providerFor, revealChat, onModelChanged }));
  add(...registerConversationCommands({ sessions, store, history, log, revealChat }));
  add(
    vscode.commands.registerCommand('modelChat.focusChat', async () => {
      await revealChat();
      post({ type: 'focusInput' });
    }),
    settings.onDidDecide((key) => MODEL_SETTINGS.includes(key) && onModelChanged()),
    vscode.workspace.onDidChangeConfiguration(
      (e) => MODEL_SETTINGS.some((key) => e.affectsConfiguration(`modelChat.${key}`)) && onModelChanged(),
    ),
  );
  shutdown = () => Promise.all([store.dispose(), mcp.dispose()]);
  void restoreLatest(store, sessions, log);
  log.info('Model Chat activated');
  return {
    isAnswering: () => sessions.active.busy || sessions.backgroundIds().length > 0,
    isWaitingForApproval: () => sessions.active.snapshot().messages.some((m) => m.tool?.state === 'pending'),
  };
}

/** Pending checkpoints are written and the MCP servers stopped before the extension host goes away. */
export async function deactivate(): Promise<void> {
  await shutdown?.();
}
