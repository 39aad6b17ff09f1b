import { constants } from 'node:fs';
import { copyFile, link, mkdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { BuiltInEngine } from '../../streaming/providers/createProvider';
import { formatBytes, listModelFiles } from '../../streaming/providers/embedded/modelFiles';
import type { Settings } from '../settings/settings';
import { DownloadError, downloadModel } from './modelDownload';
import { SUGGESTED_MODELS } from './recommendedModels';

export interface ModelCommandDeps {
  engine: BuiltInEngine;
  settings: Settings;
  log: vscode.LogOutputChannel;
  /** The picked model changed: the status bar and the chats follow. */
  onModelChanged(): void;
}

interface AddItem extends vscode.QuickPickItem {
  run?: () => Promise<string | undefined>;
}

/** "Add a GGUF model…", "Delete a GGUF model…" and "Use the built-in engine" (the empty state's button). */
export function registerModelCommands(deps: ModelCommandDeps): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('modelChat.addModel', () => addModel(deps)),
    vscode.commands.registerCommand('modelChat.deleteModel', () => deleteModel(deps)),
    vscode.commands.registerCommand('modelChat.useBuiltIn', () => useBuiltIn(deps)),
    // The empty chat's buttons when the built-in engine has no model (not in the palette: they take an argument).
    vscode.commands.registerCommand('modelChat.downloadSuggestedModel', (name: unknown) => downloadSuggested(deps, name)),
    vscode.commands.registerCommand('modelChat.pickModelFile', () => addPicked(deps)),
  ];
}

async function builtInName(deps: ModelCommandDeps): Promise<string> {
  return deps.settings.endpoints().find((e) => e.type === 'embedded')?.name ?? 'Built-in';
}

async function select(deps: ModelCommandDeps, model: string): Promise<void> {
  await deps.settings.select({ endpoint: await builtInName(deps), model });
  deps.log.info(`Selected the built-in model ${model}`);
  deps.onModelChanged();
}

async function useBuiltIn(deps: ModelCommandDeps): Promise<void> {
  const models = await listModelFiles(deps.engine.modelsFolder());
  // With no model yet, the chat switches to the engine anyway: its empty state lists the suggestions and a picker.
  if (models.length === 0) return select(deps, '');
  const chosen =
    models.length === 1
      ? models[0]
      : (
          await vscode.window.showQuickPick(
            models.map((m) => ({ label: m.name, description: formatBytes(m.bytes), model: m })),
            { title: 'Use the built-in engine with…' },
          )
        )?.model;
  if (chosen) await select(deps, chosen.name);
}

async function addModel(deps: ModelCommandDeps): Promise<void> {
  const folder = deps.engine.modelsFolder();
  const items: AddItem[] = [
    { label: '$(file) Pick a .gguf file…', detail: `Linked or copied into ${folder}`, run: () => pickFile(folder) },
    {
      label: '$(cloud-download) Download from a URL…',
      detail: 'A Hugging Face file URL or any HTTPS URL of a .gguf file',
      run: () => askUrl(folder, deps),
    },
    { label: 'Suggestions (downloaded once from Hugging Face)', kind: vscode.QuickPickItemKind.Separator },
    ...SUGGESTED_MODELS.map((m) => ({
      label: `$(sparkle) ${m.name}`,
      description: m.size,
      detail: m.can,
      run: () => download(m.url, folder, deps),
    })),
  ];
  const chosen = await vscode.window.showQuickPick(items, { title: 'Add a GGUF model to the built-in engine', matchOnDetail: true });
  const added = await chosen?.run?.();
  if (added) await select(deps, added);
}

async function addPicked(deps: ModelCommandDeps): Promise<void> {
  const added = await pickFile(deps.engine.modelsFolder());
  if (added) await select(deps, added);
}

/** Only a suggestion's name comes from the page; the URL is the list's own. */
async function downloadSuggested(deps: ModelCommandDeps, name: unknown): Promise<void> {
  const suggestion = SUGGESTED_MODELS.find((m) => m.name === name);
  if (!suggestion) return deps.log.warn(`Not downloading a model that is not a suggestion: ${String(name).slice(0, 200)}`);
  const added = await download(suggestion.url, deps.engine.modelsFolder(), deps);
  if (added) await select(deps, added);
}

async function pickFile(folder: string): Promise<string | undefined> {
  const [file] =
    (await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Add model', filters: { 'GGUF models': ['gguf'] } })) ?? [];
  if (!file) return undefined;
  const name = basename(file.fsPath);
  const target = join(folder, name);
  await mkdir(folder, { recursive: true });
  if (await stat(target).catch(() => undefined)) return name.replace(/\.gguf$/i, '');
  // A hard link costs no space; across disks the file is copied (copy-on-write where the file system can).
  await link(file.fsPath, target).catch(() =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Copying ${name}…` }, () =>
      copyFile(file.fsPath, target, constants.COPYFILE_FICLONE),
    ),
  );
  return name.replace(/\.gguf$/i, '');
}

async function askUrl(folder: string, deps: ModelCommandDeps): Promise<string | undefined> {
  const url = await vscode.window.showInputBox({
    title: 'Download a GGUF model',
    prompt: 'The URL of a .gguf file, e.g. https://huggingface.co/<org>/<repo>/resolve/main/<file>.gguf',
    ignoreFocusOut: true,
  });
  return url ? download(url, folder, deps) : undefined;
}

async function download(url: string, folder: string, deps: ModelCommandDeps): Promise<string | undefined> {
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Downloading ${basename(new URL(url).pathname)}`, cancellable: true },
      (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        let reported = 0;
        return downloadModel({
          url,
          folder,
          signal: abort.signal,
          onProgress: (received, total) => {
            if (!total) return progress.report({ message: formatBytes(received) });
            const percent = (100 * received) / total;
            // VS Code adds increments up: report the growth since the last report.
            if (percent - reported < 0.5 && received < total) return;
            progress.report({ increment: percent - reported, message: `${formatBytes(received)} of ${formatBytes(total)}` });
            reported = percent;
          },
        });
      },
    );
    deps.log.info(
      `Downloaded ${result.path} (${formatBytes(result.bytes)}${result.sha256 ? `, sha256 ${result.sha256} checked` : ', no checksum given'})`,
    );
    return basename(result.path).replace(/\.gguf$/i, '');
  } catch (err) {
    if ((err as Error).name === 'AbortError') return undefined;
    deps.log.warn(`Download of ${url} failed: ${(err as Error).message}`);
    const retry = err instanceof DownloadError && err.kind === 'network' ? ['Retry'] : [];
    const answer = await vscode.window.showErrorMessage((err as Error).message, ...retry);
    return answer === 'Retry' ? download(url, folder, deps) : undefined;
  }
}

async function deleteModel(deps: ModelCommandDeps): Promise<void> {
  const models = await listModelFiles(deps.engine.modelsFolder());
  if (models.length === 0) return void vscode.window.showInformationMessage('The built-in engine has no models to delete.');
  const chosen = await vscode.window.showQuickPick(
    models.map((m) => ({ label: m.name, description: formatBytes(m.bytes), model: m })),
    { title: 'Delete a GGUF model' },
  );
  if (!chosen) return;
  const confirm = await vscode.window.showWarningMessage(
    `Delete ${chosen.model.name} (${formatBytes(chosen.model.bytes)}) from ${deps.engine.modelsFolder()}?`,
    { modal: true },
    'Delete',
  );
  if (confirm !== 'Delete') return;
  // A loaded model is let go first: llama.cpp maps the file.
  await deps.engine.client.unload();
  await rm(chosen.model.path, { force: true });
  deps.log.info(`Deleted the built-in model ${chosen.model.path}`);
  deps.onModelChanged();
}
