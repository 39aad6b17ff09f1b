import { join } from 'node:path';
import * as vscode from 'vscode';
import type { EndpointConfig } from '../streaming/providers/provider';
import { ConversationStore } from '../history/conversationStore';
import { ImageBlobs } from '../history/imageBlobs';
import { warmTurnPath } from '../streaming/chat/warmUp';
import { createProvider } from '../streaming/providers/createProvider';
import { DisposableStore, type IDisposable } from '../shared/disposable';
import { ChatViewProvider } from './view/chatViewProvider';
import { MessageRouter } from './view/messageRouter';
import { ModelStatusBar } from './view/modelStatusBar';
import { ChatSurfaces } from './view/chatSurfaces';
import { createChatSurface, type SurfaceShared } from './view/chatSurface';
import { ChatPanels } from './view/chatPanels';
import { FileMemento } from './view/fileMemento';
import { reportProblems, restoreLatest } from './history/restoreLatest';
import { ContextController, registerContextCommands, type ChatContext } from './context/contextController';
import { readInstructions } from './context/instructionFiles';
import { McpHost } from './mcp/mcpHost';
import { createWorkspaceTools } from './workspaceTools/workspaceTools';
import { ToolSources } from '../tools/toolSources';
import { McpPrompts } from './mcp/mcpPrompts';
import { McpResources } from './mcp/mcpResources';
import { withChoices } from '../tools/toolChoices';
import { askModelToMerge } from '../streaming/chat/mergeRequest';
import { WORKSPACE_SOURCE } from '../tools/workspace/workspaceToolSupport';
import { createApiKeys, registerCommands } from './commands/commands';
import { registerConversationCommands } from './commands/conversationCommands';
import { registerMoveChatCommands } from './commands/moveChat';
import { Settings } from './settings/settings';
import { createBuiltInEngine } from './embedded/builtInEngine';
import { registerModelCommands } from './embedded/modelCommands';
import { Edits } from './edits/edits';

/** What the extension exports: enough for other extensions and tests to tell whether it is answering. */
export interface ModelChatApi {
  isAnswering(): boolean;
  /** Whether a tool call in the shown conversation waits for the user's Allow. */
  isWaitingForApproval(): boolean;
}

/** What deactivate waits for: pending checkpoints and the tabs' memory written, MCP servers stopped. */
let shutdown: (() => Promise<unknown>) | undefined;

const MODEL_SETTINGS = ['endpoints', 'defaultEndpoint', 'defaultModel', 'embedded.modelsFolder'];

/** Creates the parts and wires them together; what each does is in its own module. */
export function activate(context: vscode.ExtensionContext): ModelChatApi {
  const disposables = new DisposableStore();
  context.subscriptions.push(disposables);
  const add = (...items: IDisposable[]) => items.forEach((item) => disposables.add(item));
  const log = disposables.add(vscode.window.createOutputChannel('Model Chat', { log: true }));
  // Workspace-scoped when a folder is open, the global storage otherwise.
  const images = new ImageBlobs(join((context.storageUri ?? context.globalStorageUri).fsPath, 'images'));
  // The storage bound counts the images too, and pruning removes those no conversation has any more.
  const store = new ConversationStore({ dir: join((context.storageUri ?? context.globalStorageUri).fsPath, 'conversations'), log, images });
  const settings = disposables.add(new Settings(context.globalState, log, context.workspaceState));
  const apiKeys = createApiKeys(context.secrets, context.globalState, settings, log);
  const builtIn = disposables.add(createBuiltInEngine(context, settings, log));
  const providerFor = async (endpoint: EndpointConfig) =>
    createProvider(endpoint, endpoint.type === 'openai' ? await apiKeys.get(endpoint) : undefined, settings.ollama(), builtIn);
  // The built-in engine's context is what node-llama-cpp sized for the loaded model (the context meter's limit).
  const sessionConfig = () => {
    const config = settings.session();
    return config.endpoint?.type === 'embedded' ? { ...config, contextTokens: builtIn.client.contextSize(config.model) } : config;
  };
  const mcp = disposables.add(new McpHost(context, log, settings));
  const router = new MessageRouter(log);
  const view = disposables.add(new ChatViewProvider(context.extensionUri, log, router));
  // Resources and prompts of the MCP servers: chips picked like files, `/` commands in the message box.
  const mcpLists = { clients: mcp.connections, startServers: () => mcp.startServers(), log };
  // Outside a page's own picker or messages, MCP resources go to the chat focused last.
  const attach = (items: Parameters<ChatContext['addAttachments']>[0]) => focusedChat().context.addAttachments(items);
  const mcpResources = new McpResources({ ...mcpLists, attach });
  const mcpPrompts = new McpPrompts({ ...mcpLists, attach, onDidChangeLists: mcp.onDidChangeLists });
  add(mcpResources.register());
  const contextChips = disposables.add(new ContextController({ log, state: context.workspaceState, pickResources: mcpResources.pick }));
  const surfaces = new ChatSurfaces();
  const edits = disposables.add(
    new Edits(context.workspaceState, log, (input, signal) => askModelToMerge({ config: sessionConfig, providerFor }, input, signal)),
  );
  // Built-in tools first: an MCP tool of the same name is offered under a prefixed name instead.
  const workspaceTools = createWorkspaceTools({
    workspaceState: context.workspaceState,
    log,
    approval: () => settings.toolApproval(),
    edits: edits.review,
  });
  const shared: SurfaceShared = {
    log,
    store,
    surfaces,
    session: {
      config: sessionConfig,
      providerFor,
      tools: new ToolSources([withChoices(workspaceTools, mcp.choices), mcp.tools]),
      images,
      instructions: async (signal) => contextChips.filterInstructions(await readInstructions(signal)),
    },
    setup: { config: sessionConfig, providerFor },
    contextChips,
    limitTokens: () => sessionConfig().contextTokens,
    openToolResult: (fileId) => mcp.openFullResult(fileId),
    reportProblems: (problems) => reportProblems(problems, log),
    ask: (message, ...choices) => Promise.resolve(vscode.window.showWarningMessage(message, ...choices)),
    limitBytes: () => Math.max(1, vscode.workspace.getConfiguration('modelChat').get<number>('history.maxStorageMB', 200)) * 1024 * 1024,
    openLimitSetting: () => void vscode.commands.executeCommand('workbench.action.openSettings', 'modelChat.history.maxStorageMB'),
    // The history list of any surface opens conversations in new tabs (the panels are made below).
    openInEditor: (conversation) => panels.open(conversation),
    attachElicitations: (chat) => mcp.elicitations.attach(chat),
    attachToolsMenu: (toolsView) => mcp.attachToolsMenu(toolsView, { server: WORKSPACE_SOURCE, list: () => workspaceTools.list() }),
    edits,
    mcpMessages: (router, post, attachHere) => [
      mcpPrompts.register(router, post, attachHere),
      router.register({
        openResource: (m) => void mcpResources.open(m.server, m.uri).catch((e: unknown) => log.warn(String(e))),
        attachResource: (m) => void mcpResources.attachLink(m.server, m.uri, m.name, attachHere),
      }),
      ...mcp.signIn.registerMessages(router, post, mcp.onDidChangeLists),
    ],
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
  const sidebarChat = { context: sidebar.entry.context!, reveal: revealChat };
  /** The chat the user was in last, for the commands that add context. */
  const focusedChat = () => {
    const entry = surfaces.current();
    return entry !== sidebar.entry && entry?.context ? { context: entry.context, reveal: async () => entry.reveal() } : sidebarChat;
  };
  // A file on the extension host's disk, not workspaceState: see fileMemento.ts. A window without a folder
  // has no storage folder of its own (the global one is every such window's).
  const tabsMemory = context.storageUri
    ? new FileMemento(join(context.storageUri.fsPath, 'editor-chats.json'), (m) => log.warn(m), context.workspaceState)
    : undefined;
  const panels = disposables.add(
    new ChatPanels({
      extensionUri: context.extensionUri,
      log,
      store,
      surfaces,
      memory: tabsMemory ?? context.workspaceState,
      createSurface: (target) => createChatSurface(shared, target),
    }),
  );
  const statusBar = disposables.add(new ModelStatusBar(sessions));
  const onModelChanged = () => {
    statusBar.refresh();
    surfaces.modelChanged();
  };

  add(vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, view));
  add(vscode.window.registerWebviewPanelSerializer(ChatPanels.viewType, panels));
  add(...registerContextCommands(focusedChat));
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
  add(...registerModelCommands({ engine: builtIn, settings, log, onModelChanged }));
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
  shutdown = () => Promise.all([store.dispose(), mcp.dispose(), builtIn.client.dispose(), tabsMemory?.flush()]);
  void restoreLatest(store, sessions, log, () => surfaces.inUse());
  // A window's first answer should not compile the stream path on the way to its first token (streaming/chat/warmUp.ts).
  const warm = setTimeout(() => {
    if (settings.session().endpoint?.type === 'ollama')
      warmTurnPath().catch((err) => log.debug(`Warming the answer path failed: ${String(err)}`));
  }, 1_000);
  add({ dispose: () => clearTimeout(warm) });
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
