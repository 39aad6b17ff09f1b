import { homedir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ErrorAction, ModelLabel, SetupState, WebviewToHost } from '../shared/protocol';
import type { ChatSession, EndpointConfig } from '../streaming/chat/chatSession';
import { ChatSessions } from '../streaming/chat/chatSessions';
import { checkSetup } from '../streaming/chat/setupState';
import { SUGGESTED_MODEL } from '../streaming/chat/answerInfo';
import { ConversationStore, type StoreProblem } from '../history/conversationStore';
import { createProvider } from '../streaming/providers/createProvider';
import { ChatViewProvider } from './view/chatViewProvider';
import { HistoryController } from './history/historyController';
import { ContextController, registerContextCommands } from './context/contextController';
import { readInstructions } from './context/instructionFiles';
import { McpHost } from './mcp/mcpHost';
import { createApiKeys, registerCommands } from './commands/commands';
import { Settings } from './settings/settings';
import { openLink } from './view/links';
import { isPullableModelName } from './commands/ollamaPullName';

let store: ConversationStore | undefined;

/** The model the empty state offers to pull: one that can use tools (webview/panels/emptyState.ts names it too). */
const SETUP_PULL_MODEL = SUGGESTED_MODEL;

/** What the extension exports: enough for other extensions and tests to tell whether it is answering. */
export interface ModelChatApi {
  isAnswering(): boolean;
  /** Whether a tool call in the shown conversation waits for the user's Allow. */
  isWaitingForApproval(): boolean;
}

export function activate(context: vscode.ExtensionContext): ModelChatApi {
  const log = vscode.window.createOutputChannel('Model Chat', { log: true });
  // Workspace-scoped when a folder is open, the global storage otherwise.
  store = new ConversationStore({ dir: join((context.storageUri ?? context.globalStorageUri).fsPath, 'conversations'), log });
  const settings = new Settings(context.globalState, log, context.workspaceState);
  const apiKeys = createApiKeys(context.secrets, context.globalState, settings, log);
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
    createProvider(endpoint, endpoint.type === 'openai' ? await apiKeys.get(endpoint) : undefined, settings.ollama());
  const mcp = new McpHost(context, log, settings);
  let history: HistoryController | undefined = undefined;
  let postContext = () => {};
  const contextChips = new ContextController({ log, state: context.workspaceState, onChange: () => postContext() });
  const sessions = new ChatSessions({
    config: () => settings.session(),
    providerFor,
    tools: mcp.tools,
    persist: store,
    instructions: async (signal) => contextChips.filterInstructions(await readInstructions(signal)),
    post: (message) => {
      if (typeof message !== 'string' && (message.type === 'model' || message.type === 'snapshot')) showModel(message.model);
      // A finished turn may have grown the store past its bound.
      if (typeof message !== 'string' && message.type === 'busy' && !message.busy) void history?.enforceBound();
      view?.post(message);
      // The meter counts the conversation so far: it changes when a turn ends or another one is shown.
      if (typeof message !== 'string' && ((message.type === 'busy' && !message.busy) || message.type === 'snapshot')) postContext();
    },
    onBackgroundChange: () => {
      void history?.enforceBound();
      void history?.list().catch(() => {}); // the list marks conversations still answering
    },
    onBackgroundApproval: (waiting) =>
      view?.post({
        type: 'notice',
        text: `“${waiting.displayTitle}” is waiting for you to allow a tool.`,
        action: { label: 'Open', id: `open:${waiting.id}` },
      }),
    log,
  });
  const conversations = store;
  history = new HistoryController({
    store: conversations,
    sessions,
    post: (message) => view?.post(message),
    log,
    reportProblems: (problems) => reportProblems(problems, log),
    ask: (message, ...choices) => Promise.resolve(vscode.window.showWarningMessage(message, ...choices)),
    limitBytes: () => Math.max(1, vscode.workspace.getConfiguration('modelChat').get<number>('history.maxStorageMB', 200)) * 1024 * 1024,
    openLimitSetting: () => void vscode.commands.executeCommand('workbench.action.openSettings', 'modelChat.history.maxStorageMB'),
  });
  const historyList = history;
  /** The conversation the view shows (it changes with New chat and the history list). */
  const session = (): ChatSession => sessions.active;
  postContext = () => {
    const usedTokens = contextChips.meterTokens() + Math.ceil(session().historyChars() / 4);
    const limitTokens = settings.session().contextTokens;
    view?.post({ type: 'context', chips: contextChips.chips(), meter: { usedTokens, ...(limitTokens ? { limitTokens } : {}) } });
  };
  /** Sends with the chips' context, read now; a second send while they are read is refused like any other. */
  let sending = false;
  const send = async (text: string): Promise<void> => {
    const refuse = () =>
      view?.post({ type: 'sendRefused', text, reason: 'An answer is still being written: stop it or wait for it to finish.' });
    // The conversation shown when Enter was pressed: reading the attachments takes a moment, during which
    // the user may open another one; the question must not land there.
    const target = session();
    if (sending || target.busy) return refuse();
    sending = true;
    try {
      const attachments = await contextChips.attachments();
      if (target !== session()) {
        view?.post({ type: 'sendRefused', text, reason: 'Another conversation was opened before the question went out.' });
        return;
      }
      if (!target.send(text, attachments)) return refuse();
      contextChips.afterSend();
    } finally {
      sending = false;
    }
    postContext();
  };
  showModel(session().modelLabel());

  const revealChat = async () => {
    await vscode.commands.executeCommand(`${ChatViewProvider.viewId}.focus`);
  };
  /** Tells the empty chat whether the endpoint answers, so a first run explains what to do. */
  let lastSetup: SetupState | undefined;
  /** Checks are not ordered (view ready, settings change, Retry): only the newest may answer. */
  let setupSeq = 0;
  const activeFileName = () => {
    const editor = vscode.window.activeTextEditor;
    return editor && editor.document.uri.scheme === 'file' ? editor.document.uri.path.split('/').pop() : undefined;
  };
  const postSetup = async () => {
    const { endpoint, model } = settings.session();
    const seq = ++setupSeq;
    const setup = await checkSetup(endpoint, model, providerFor, activeFileName(), AbortSignal.timeout(10_000));
    if (seq !== setupSeq) return;
    lastSetup = setup;
    view?.post({ type: 'setup', setup });
  };
  /** The example questions name the open file: follow the editor without asking the server again. */
  const followActiveFile = () => {
    if (lastSetup?.state !== 'ready') return;
    const activeFile = activeFileName();
    lastSetup = { ...lastSetup, activeFile };
    if (!activeFile) delete lastSetup.activeFile;
    view?.post({ type: 'setup', setup: lastSetup });
  };
  const onModelChanged = () => {
    void postSetup();
    showModel(session().modelLabel());
    view?.post({ type: 'model', model: session().modelLabel() });
    void session().refreshModel();
  };

  /** A history action that failed (a file the store cannot write, an id it refuses) says so, in the view and the log. */
  const historyTask = (what: string, task: Promise<unknown>): void => {
    task.catch((err) => {
      log.error(`History ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
      view?.post({ type: 'notice', text: `That did not work (${what}): ${err instanceof Error ? err.message : String(err)}` });
      void historyList.list().catch(() => {});
    });
  };
  const handle = (message: WebviewToHost): void => {
    switch (message.type) {
      case 'ready':
        view?.post({ type: 'setup', setup: { state: 'checking' } });
        void postSetup();
        view?.post(session().snapshot());
        void contextChips.ready.then(postContext);
        void session().refreshModel();
        return;
      case 'send':
        return void send(message.text).catch((err) => {
          log.error(`Sending failed: ${String(err)}`);
          view?.post({ type: 'sendRefused', text: message.text, reason: 'The question could not be sent; see the log.' });
        });
      case 'stop':
        return session().stop();
      case 'newChat':
        sessions.newChat();
        return void session().refreshModel();
      case 'selectModel':
        return void vscode.commands.executeCommand('modelChat.selectModel');
      case 'openLink':
        return void openLink(message.href, { log, notify: (text) => view?.post({ type: 'notice', text }) });
      case 'errorAction':
        return void runErrorAction(session(), message.messageId, message.index, log);
      case 'toolApproval':
        return session().resolveApproval(message.id, message.decision);
      case 'cancelTool':
        return session().cancelTool(message.id);
      case 'openToolResult':
        return void mcp.openFullResult(message.fileId);
      case 'copyText':
        return void vscode.env.clipboard.writeText(message.text);
      case 'insertCode':
        return void insertAtCursor(message.text);
      case 'log':
        return log[message.level](`[webview] ${message.message}`);
      case 'history':
        return historyTask('list', historyList.list(message.query));
      case 'openConversation':
        return historyTask(
          'open',
          historyList.open(message.id).then(() => session().refreshModel()),
        );
      case 'renameConversation':
        return historyTask('rename', historyList.rename(message.id, message.title));
      case 'deleteConversation':
        return historyTask('delete', historyList.delete(message.id));
      case 'noticeAction':
        return historyTask('undo', historyList.noticeAction(message.id));
      case 'editMessage': {
        const edited = session().editAndResend(message.id, message.text);
        if (!edited) {
          // The edited text goes back into the message box rather than being lost.
          view?.post({ type: 'sendRefused', text: message.text, reason: 'not edited' });
          const why = session().busy ? 'while an answer is being written' : 'because it is no longer in this conversation';
          return view?.post({ type: 'notice', text: `That question could not be edited ${why}; your text is in the message box.` });
        }
        void conversations.save(edited.earlier).then(
          () => {
            view?.post({
              type: 'notice',
              text: `The conversation before the edit is kept in history as “${edited.earlier.title}”.`,
              action: { label: 'Open', id: `open:${edited.earlier.id}` },
            });
          },
          (err) => log.error(`Keeping the conversation before the edit failed: ${String(err)}`),
        );
        return;
      }
      case 'regenerate':
        if (!session().regenerate(message.id)) log.warn(`Regenerate ignored: ${message.id} is not the last finished answer`);
        return;
      case 'copyMessage': {
        const text = session().messageText(message.id);
        if (text !== undefined) void vscode.env.clipboard.writeText(text);
        return;
      }
      case 'setupAction': {
        const action = message.action;
        if (action.kind === 'retry') return void postSetup().then(() => session().refreshModel());
        // The page names the action, so only the ones the empty state offers are carried out.
        if (
          (action.kind === 'pullModel' && action.model !== SETUP_PULL_MODEL) ||
          (action.kind === 'openSettings' && action.setting !== 'modelChat.endpoints')
        ) {
          return log.warn(`Ignored an empty-state action the page does not offer: ${JSON.stringify(action).slice(0, 200)}`);
        }
        return void runAction(session(), action, log);
      }
      case 'addContext':
        return void contextChips.pick();
      case 'dropFiles':
        return void contextChips.addFromDrop(message.uris);
      case 'toggleContext':
        return contextChips.toggle(message.id, message.enabled);
      case 'removeContext':
        return contextChips.remove(message.id);
    }
  };

  view = new ChatViewProvider(context.extensionUri, log, handle, () => view?.post(session().snapshot()));
  context.subscriptions.push(
    log,
    statusBar,
    mcp,
    view,
    { dispose: () => sessions.dispose() },
    contextChips,
    ...registerContextCommands(contextChips, revealChat),
    vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, view),
    ...registerCommands({ sessions, settings, log, apiKeys, providerFor, revealChat, onModelChanged }),
    settings,
    settings.onDidDecide((key) => (key === 'endpoints' || key === 'defaultEndpoint' || key === 'defaultModel') && onModelChanged()),
    vscode.window.onDidChangeActiveTextEditor(followActiveFile),
    vscode.commands.registerCommand('modelChat.focusChat', async () => {
      await revealChat();
      view?.post({ type: 'focusInput' });
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (
        e.affectsConfiguration('modelChat.endpoints') ||
        e.affectsConfiguration('modelChat.defaultEndpoint') ||
        e.affectsConfiguration('modelChat.defaultModel')
      )
        onModelChanged();
    }),
  );
  void restoreLatest(store, sessions, log);
  log.info('Model Chat activated');
  return {
    isAnswering: () => sessions.active.busy || sessions.backgroundIds().length > 0,
    isWaitingForApproval: () => sessions.active.snapshot().messages.some((m) => m.tool?.state === 'pending'),
  };
}

/** Pending checkpoints are written before the extension host goes away. */
export async function deactivate(): Promise<void> {
  await store?.dispose();
}

/** Reopens the most recent conversation, unless the user has already started a new one. */
async function restoreLatest(store: ConversationStore, sessions: ChatSessions, log: vscode.LogOutputChannel): Promise<void> {
  const { conversations, problems } = await store.list();
  reportProblems(problems, log);
  const latest = conversations[0];
  if (!latest) return;
  const { conversation, problems: more } = await store.load(latest.id);
  reportProblems(more, log);
  if (conversation && sessions.active.isEmpty && !sessions.active.busy) sessions.active.restore(conversation);
}

function reportProblems(problems: StoreProblem[], log: vscode.LogOutputChannel): void {
  if (!problems.length) return;
  for (const p of problems) log.error(`Conversation storage: ${p.file} ${p.reason}${p.movedTo ? ` (kept as ${p.movedTo})` : ''}`);
  void vscode.window
    .showWarningMessage(
      `Model Chat could not read ${problems.length} saved conversation file(s); they were kept aside. See the log for details.`,
      'Show log',
    )
    .then((c) => c && log.show());
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
  if (action.kind === 'retry') {
    session.retry(messageId);
    return;
  }
  return runAction(session, action, log);
}

/** An error's or the empty state's button. Retry from the empty state checks the endpoint again. */
async function runAction(session: ChatSession, action: ErrorAction, log: vscode.LogOutputChannel): Promise<void> {
  switch (action.kind) {
    case 'retry':
      await session.refreshModel();
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
      // The name can come from a workspace's defaultModel and goes into a shell: only a plain library name,
      // so the repository chooses neither the registry nor anything the shell would read.
      if (!isPullableModelName(action.model)) {
        log.warn(`Not running ollama pull for a model name that is not a plain Ollama library name: ${action.model.slice(0, 200)}`);
        void vscode.window.showWarningMessage(
          `Model Chat only pulls plain Ollama library names (like qwen3 or user/model:tag); “${action.model.slice(0, 80)}” names another registry or is not a model name. Run ollama pull yourself if you trust it.`,
        );
        return;
      }
      // Not in the workspace: a cloned repository's files must not shape how the command starts.
      const terminal = vscode.window.createTerminal({ name: 'Ollama', cwd: homedir() });
      terminal.show();
      terminal.sendText(`ollama pull ${action.model}`);
      return;
    }
  }
}
