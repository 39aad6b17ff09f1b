import { join } from 'node:path';
import * as vscode from 'vscode';
import type { EndpointConfig } from '../streaming/providers/provider';
import { ConversationStore } from '../history/conversationStore';
import { ImageBlobs } from '../history/imageBlobs';
import { createProvider } from '../streaming/providers/createProvider';
import { DisposableStore, type IDisposable } from '../shared/disposable';
import { ChatViewProvider } from './view/chatViewProvider';
import { MessageRouter } from './view/messageRouter';
import { ModelStatusBar } from './view/modelStatusBar';
import { ChatSurfaces } from './view/chatSurfaces';
import { createChatSurface, type SurfaceShared } from './view/chatSurface';
import { ChatPanels } from './view/chatPanels';
import { reportProblems, restoreLatest } from './history/restoreLatest';
import { ContextController, registerContextCommands } from './context/contextController';
import { readInstructions } from './context/instructionFiles';
import { McpHost } from './mcp/mcpHost';
import { createApiKeys, registerCommands } from './commands/commands';
import { registerConversationCommands } from './commands/conversationCommands';
import { registerMoveChatCommands } from './commands/moveChat';
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
  const images = new ImageBlobs(join((context.storageUri ?? context.globalStorageUri).fsPath, 'images'));
  const settings = disposables.add(new Settings(context.globalState, log, context.workspaceState));
  const apiKeys = createApiKeys(context.secrets, context.globalState, settings, log);
  const providerFor = async (endpoint: EndpointConfig) =>
    createProvider(endpoint, endpoint.type === 'openai' ? await apiKeys.get(endpoint) : undefined, settings.ollama());
  const mcp = disposables.add(new McpHost(context, log, settings));
  const router = new MessageRouter(log);
  const view = disposables.add(new ChatViewProvider(context.extensionUri, log, router));
  const contextChips = disposables.add(new ContextController({ log, state: context.workspaceState }));
  const surfaces = new ChatSurfaces();
  const shared: SurfaceShared = {
    log,
    store,
    surfaces,
    session: {
      config: () => settings.session(),
      providerFor,
      tools: mcp.tools,
      images,
      instructions: async (signal) => contextChips.filterInstructions(await readInstructions(signal)),
    },
    setup: { config: () => settings.session(), providerFor },
    contextChips,
    limitTokens: () => settings.session().contextTokens,
    openToolResult: (fileId) => mcp.openFullResult(fileId),
    reportProblems: (problems) => reportProblems(problems, log),
    ask: (message, ...choices) => Promise.resolve(vscode.window.showWarningMessage(message, ...choices)),
    limitBytes: () => Math.max(1, vscode.workspace.getConfiguration('modelChat').get<number>('history.maxStorageMB', 200)) * 1024 * 1024,
    openLimitSetting: () => void vscode.commands.executeCommand('workbench.action.openSettings', 'modelChat.history.maxStorageMB'),
    // The history list of any surface opens conversations in new tabs (the panels are made below).
    openInEditor: (conversation) => panels.open(conversation),
  };
  const revealChat = async () => {
    await vscode.commands.executeCommand(`${ChatViewProvider.viewId}.focus`);
  };
  const sidebar = disposables.add(
    createChatSurface(shared, {
      router,
      post: (m) => view.post(m),
      onDidBecomeVisible: view.onDidBecomeVisible,
      onDidFocus: view.onDidBecomeVisible,
      reveal: () => void revealChat(),
    }),
  );
  const { sessions, history, post } = sidebar;
  const panels = disposables.add(
    new ChatPanels({
      extensionUri: context.extensionUri,
      log,
      store,
      surfaces,
      memory: context.workspaceState,
      createSurface: (target) => createChatSurface(shared, target),
    }),
  );
  const statusBar = disposables.add(new ModelStatusBar(sessions));
  const onModelChanged = () => {
    statusBar.refresh();
    surfaces.modelChanged();
  };

  // After the chat's `ready`: a reloaded view gets its open forms back after the conversation they belong in.
  add(mcp.elicitations.attach({ post, sessions, router }));
  add(vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, view));
  add(vscode.window.registerWebviewPanelSerializer(ChatPanels.viewType, panels));
  add(...registerContextCommands(contextChips, revealChat));
  add(
    ...registerCommands({ sessions, settings, log, apiKeys, providerFor, revealChat, onModelChanged, focused: () => surfaces.current() }),
  );
  add(...registerConversationCommands({ sessions, store, history, log, revealChat, focusedSessions: () => surfaces.current()?.sessions }));
  add(
    ...registerMoveChatCommands({
      surfaces,
      sidebar: { entry: sidebar.entry, history },
      revealSidebar: revealChat,
      closeTab: (entry) => panels.close(entry),
    }),
  );
  add(
    vscode.commands.registerCommand('modelChat.openChatInEditor', () => panels.open()),
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
  void restoreLatest(store, sessions, log, () => surfaces.inUse());
  log.info('Model Chat activated');
  return {
    isAnswering: () => surfaces.anyAnswering(),
    isWaitingForApproval: () => sessions.active.snapshot().messages.some((m) => m.tool?.state === 'pending'),
  };
}

/** Pending checkpoints are written and the MCP servers stopped before the extension host goes away. */
export async function deactivate(): Promise<void> {
  await shutdown?.();
}
