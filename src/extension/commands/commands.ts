import * as vscode from 'vscode';
import type { EndpointConfig } from '../../streaming/providers/provider';
import type { ChatSessions } from '../../streaming/chat/chatSessions';
import type { ChatProvider } from '../../streaming/providers/provider';
import { listAllModels } from '../../streaming/providers/modelCatalog';
import { ApiKeys, endpointUrlKey } from '../settings/apiKeys';
import { selectionOf } from '../context/contextSources';
import type { Settings } from '../settings/settings';
import type { ChatSurfaceEntry } from '../view/chatSurfaces';

export interface CommandDeps {
  sessions: ChatSessions;
  settings: Settings;
  log: vscode.LogOutputChannel;
  apiKeys: ApiKeys;
  providerFor(endpoint: EndpointConfig): Promise<ChatProvider>;
  revealChat(): Promise<void>;
  onModelChanged(): void;
  /** The chat surface the user was in last (an editor tab or the sidebar); the sidebar when not given. */
  focused?(): Pick<ChatSurfaceEntry, 'sessions' | 'reveal'> | undefined;
}

/** Where Stop and Ask act: the surface focused last. */
function here(deps: CommandDeps): Pick<ChatSurfaceEntry, 'sessions' | 'reveal'> {
  return deps.focused?.() ?? { sessions: deps.sessions, reveal: () => void deps.revealChat() };
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('modelChat.ask', () => ask(deps)),
    vscode.commands.registerCommand('modelChat.newChat', async () => {
      deps.sessions.newChat();
      await deps.revealChat();
    }),
    vscode.commands.registerCommand('modelChat.stop', () => here(deps).sessions.active.stop()),
    vscode.commands.registerCommand('modelChat.compactConversation', () => {
      if (!here(deps).sessions.active.compact())
        void vscode.window.showInformationMessage(
          'Nothing to compact: a turn is running, or there is no earlier part of the conversation to summarise.',
        );
    }),
    vscode.commands.registerCommand('modelChat.selectModel', () => selectModel(deps)),
    vscode.commands.registerCommand('modelChat.setApiKey', (endpointName?: unknown) =>
      setApiKey(deps, typeof endpointName === 'string' ? endpointName : undefined),
    ),
    vscode.commands.registerCommand('modelChat.showLog', () => deps.log.show()),
  ];
}

async function ask(deps: CommandDeps): Promise<void> {
  const selection = selectionOf(vscode.window.activeTextEditor);
  const question = await vscode.window.showInputBox({
    title: 'Ask model',
    prompt: selection ? `Ask about the selected code (${selection.label})` : 'Ask a question',
    placeHolder: 'Explain this code',
    ignoreFocusOut: true,
  });
  if (!question?.trim()) return;
  // While the shown conversation is answering, the question starts a conversation of its own: both
  // answers stream at once, and the first one stays in the history list (marked as answering).
  const { sessions, reveal } = here(deps);
  const target = sessions.active.busy ? sessions.newChat() : sessions.active;
  reveal();
  // The selection goes along as context (a chip under the question), as the chat's own selection chip does.
  target.send(question.trim(), selection ? [selection] : []);
}

interface ModelItem extends vscode.QuickPickItem {
  endpoint?: string;
  model?: string;
}

async function selectModel(deps: CommandDeps): Promise<void> {
  const endpoints = deps.settings.endpoints();
  const current = deps.sessions.active.modelLabel();
  const pick = vscode.window.createQuickPick<ModelItem>();
  pick.title = 'Select model';
  pick.placeholder = 'Models from every configured endpoint';
  pick.busy = true;
  pick.show();
  const lists = await listAllModels(endpoints, deps.providerFor);
  for (const list of lists)
    if ('error' in list) deps.log.warn(`Listing models at ${list.endpoint.name} (${list.endpoint.url}) failed: ${list.error}`);
  const items: ModelItem[] = [];
  for (const list of lists) {
    items.push({ label: list.endpoint.name, kind: vscode.QuickPickItemKind.Separator });
    if ('error' in list) items.push({ label: `$(error) ${list.endpoint.name} is not available`, detail: list.error });
    else if (list.models.length === 0)
      items.push({
        label: `$(info) No models on ${list.endpoint.name}`,
        detail:
          list.endpoint.type === 'embedded'
            ? 'Add a .gguf file with "Model Chat: Add a GGUF model…"'
            : 'Download one with `ollama pull <model>`',
      });
    for (const m of 'models' in list ? (list.models ?? []) : []) {
      const active = current.endpoint === list.endpoint.name && current.model === m.name;
      items.push({ label: `${active ? '$(check) ' : ''}${m.name}`, description: m.detail, endpoint: list.endpoint.name, model: m.name });
    }
  }
  pick.items = items;
  pick.busy = false;
  const chosen = await new Promise<ModelItem | undefined>((resolve) => {
    pick.onDidAccept(() => resolve(pick.selectedItems[0]));
    pick.onDidHide(() => resolve(undefined));
  });
  pick.dispose();
  if (!chosen?.endpoint || !chosen.model) return;
  await deps.settings.select({ endpoint: chosen.endpoint, model: chosen.model });
  deps.log.info(`Selected model ${chosen.model} on ${chosen.endpoint}`);
  deps.onModelChanged();
}

/** `endpointName` comes from the "URL changed" message, which names the endpoint it is about. */
async function setApiKey(deps: CommandDeps, endpointName?: string): Promise<void> {
  const endpoints = deps.settings.endpoints();
  const named = endpointName !== undefined ? endpoints.find((e) => e.name === endpointName) : undefined;
  const chosen = named
    ? { endpoint: named }
    : await vscode.window.showQuickPick(
        endpoints.filter((e) => e.type !== 'embedded').map((endpoint) => ({ label: endpoint.name, description: endpoint.url, endpoint })),
        { title: 'Set API key', placeHolder: 'Which endpoint is the key for? It is sent only to the URL shown.' },
      );
  if (!chosen) return;
  const { name, url } = chosen.endpoint;
  const key = await vscode.window.showInputBox({
    title: `API key for ${name} (${endpointUrlKey(url)})`,
    password: true,
    ignoreFocusOut: true,
    prompt: `Sent only to ${endpointUrlKey(url)}; if the endpoint's URL changes, you are asked again. Stored in VS Code's secret storage, never in settings. Leave empty to remove the key.`,
  });
  if (key === undefined) return;
  await deps.apiKeys.set(chosen.endpoint, key || undefined);
  deps.log.info(`API key for ${name} at ${endpointUrlKey(url)} ${key ? 'stored' : 'removed'}`);
}

/** The API keys of this window: SecretStorage, bound to each endpoint's URL, with the "URL changed" message. */
export function createApiKeys(
  secrets: vscode.SecretStorage,
  globalState: vscode.Memento,
  settings: Settings,
  log: vscode.LogOutputChannel,
): ApiKeys {
  return new ApiKeys({
    secrets,
    state: globalState,
    userDefines: (endpoint) => settings.userDefines(endpoint),
    urlChanged: (endpoint, savedFor) => {
      const url = endpointUrlKey(endpoint.url);
      const was = savedFor.length ? ` was saved for ${savedFor.join(', ')}` : ' was saved before keys were bound to URLs';
      log.warn(`Not sending the API key of ${endpoint.name} to ${url}: it${was}.`);
      void vscode.window
        .showWarningMessage(
          `Model Chat: the endpoint “${endpoint.name}” now points to ${url}. Its API key${was}, so it is not sent there. Set a key for this URL only if you trust it.`,
          'Set API key',
        )
        .then((choice) => choice && vscode.commands.executeCommand('modelChat.setApiKey', endpoint.name));
    },
  });
}
