import * as vscode from 'vscode';
import type { EndpointConfig } from '../streaming/chatSession';
import type { ChatSessions } from '../streaming/chatSessions';
import type { ChatProvider } from '../streaming/provider';
import { listAllModels } from '../streaming/modelCatalog';
import { selectionOf } from './contextSources';
import type { Settings } from './settings';

export interface CommandDeps {
  sessions: ChatSessions;
  settings: Settings;
  log: vscode.LogOutputChannel;
  secrets: vscode.SecretStorage;
  providerFor(endpoint: EndpointConfig): Promise<ChatProvider>;
  revealChat(): Promise<void>;
  onModelChanged(): void;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('modelChat.ask', () => ask(deps)),
    vscode.commands.registerCommand('modelChat.newChat', async () => {
      deps.sessions.newChat();
      await deps.revealChat();
    }),
    vscode.commands.registerCommand('modelChat.stop', () => deps.sessions.active.stop()),
    vscode.commands.registerCommand('modelChat.selectModel', () => selectModel(deps)),
    vscode.commands.registerCommand('modelChat.setApiKey', () => setApiKey(deps)),
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
  const target = deps.sessions.active.busy ? deps.sessions.newChat() : deps.sessions.active;
  await deps.revealChat();
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
  for (const list of lists) if ('error' in list) deps.log.warn(`Listing models at ${list.endpoint.name} (${list.endpoint.url}) failed: ${list.error}`);
  const items: ModelItem[] = [];
  for (const list of lists) {
    items.push({ label: list.endpoint.name, kind: vscode.QuickPickItemKind.Separator });
    if ('error' in list) items.push({ label: `$(error) ${list.endpoint.name} is not available`, detail: list.error });
    else if (list.models.length === 0) items.push({ label: `$(info) No models on ${list.endpoint.name}`, detail: 'Download one with `ollama pull <model>`' });
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

async function setApiKey(deps: CommandDeps): Promise<void> {
  const endpoints = deps.settings.endpoints();
  const chosen = await vscode.window.showQuickPick(
    endpoints.map((e) => ({ label: e.name, description: e.url })),
    { title: 'Set API key', placeHolder: 'Which endpoint is the key for?' },
  );
  if (!chosen) return;
  const key = await vscode.window.showInputBox({ title: `API key for ${chosen.label}`, password: true, ignoreFocusOut: true, prompt: 'Stored in VS Code\'s secret storage, never in settings. Leave empty to remove the key.' });
  if (key === undefined) return;
  if (key) await deps.secrets.store(apiKeySecretName(chosen.label), key);
  else await deps.secrets.delete(apiKeySecretName(chosen.label));
  deps.log.info(`API key for ${chosen.label} ${key ? 'stored' : 'removed'}`);
}

export function apiKeySecretName(endpointName: string): string {
  return `modelChat.apiKey.${endpointName}`;
}
