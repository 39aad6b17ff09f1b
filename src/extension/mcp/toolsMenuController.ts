import type * as vscode from 'vscode';
import type { HostToWebview } from '../../shared/protocol';
import { DisposableStore, type IDisposable } from '../../shared/disposable';
import type { ChatSessions } from '../../streaming/chat/chatSessions';
import type { ToolDescriptor } from '../../tools/toolSupport';
import { ToolChoices, type ToolChoiceStore } from '../../tools/toolChoices';
import type { MessageRouter } from '../view/messageRouter';

const USER_OFF = 'modelChat.tools.off';
const WORKSPACE_OFF = 'modelChat.tools.workspaceOff';
const CONVERSATIONS = 'modelChat.tools.conversationChoices';
/** Conversations whose own choices are kept; older ones fall back to the workspace's. */
const MAX_CONVERSATIONS = 200;

type Choices = Record<string, Record<string, boolean>>;

/** The tool choices kept where they belong: everywhere in globalState, the workspace's and conversations' in workspaceState. */
export function mementoChoiceStore(user: vscode.Memento, workspace: vscode.Memento): ToolChoiceStore {
  return {
    userOff: () => user.get<string[]>(USER_OFF, []),
    setUserOff: (keys) => void user.update(USER_OFF, keys),
    workspaceOff: () => workspace.get<string[]>(WORKSPACE_OFF, []),
    setWorkspaceOff: (keys) => void workspace.update(WORKSPACE_OFF, keys),
    conversation: (id) => workspace.get<Choices>(CONVERSATIONS, {})[id] ?? {},
    setConversation: (id, choices) => {
      const all = { ...workspace.get<Choices>(CONVERSATIONS, {}) };
      delete all[id];
      if (Object.keys(choices).length) all[id] = choices;
      const ids = Object.keys(all);
      for (const old of ids.slice(0, Math.max(0, ids.length - MAX_CONVERSATIONS))) delete all[old];
      void workspace.update(CONVERSATIONS, all);
    },
  };
}

export interface ToolsMenuSource {
  /** Every tool of every server (starting them when `start`), before any choice applies. */
  allTools(start: boolean): Promise<ToolDescriptor[]>;
  /** The configured servers' names, also of those with no tools or not running. */
  serverNames(): string[];
}

export interface ToolsMenuView {
  post(message: HostToWebview): void;
  sessions: Pick<ChatSessions, 'active' | 'onDidEndTurn' | 'onDidChangeActive'>;
  router: Pick<MessageRouter, 'on'>;
}

/**
 * The chat's tools menu: opening it lists the servers and tools of the shown conversation (starting the
 * servers: the user asked about tools), each change is kept and the menu sent again. The button's token
 * figure is refreshed after each turn, without starting anything.
 */
export function attachToolsMenu(choices: ToolChoices, source: ToolsMenuSource, view: ToolsMenuView): IDisposable {
  const store = new DisposableStore();
  const post = async (start: boolean) => {
    const conversation = view.sessions.active.id;
    const tools = await source.allTools(start);
    if (!start && tools.length === 0) return;
    view.post(choices.menu(conversation, tools, source.serverNames()));
  };
  const quietly = (start: boolean) => () => void post(start).catch(() => undefined);
  store.add(view.router.on('toolsMenu', quietly(true)));
  store.add(
    view.router.on('setTool', (m) => {
      choices.set(view.sessions.active.id, m.server, m.tool, m.on, m.scope);
      quietly(false)();
    }),
  );
  store.add(view.router.on('ready', quietly(false)));
  store.add(view.sessions.onDidEndTurn(quietly(false)));
  store.add(view.sessions.onDidChangeActive(quietly(false)));
  return store;
}
