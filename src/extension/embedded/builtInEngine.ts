import { join } from 'node:path';
import * as vscode from 'vscode';
import type { BuiltInEngine } from '../../streaming/providers/createProvider';
import { EngineClient } from '../../streaming/providers/embedded/engineClient';
import type { Settings } from '../settings/settings';

/**
 * The built-in engine for this window: its worker starts with the first built-in answer, a model load shows
 * in the status bar's progress, and deactivate ends it after llama.cpp has let go of the model.
 */
export function createBuiltInEngine(
  context: vscode.ExtensionContext,
  settings: Settings,
  log: vscode.LogOutputChannel,
): BuiltInEngine & vscode.Disposable {
  const fallbackFolder = join(context.globalStorageUri.fsPath, 'models');
  const modelsFolder = () => settings.embeddedModelsFolder(fallbackFolder);
  const client = new EngineClient({
    settings: () => {
      const threads = settings.embeddedThreads();
      return { modelsFolder: modelsFolder(), idleUnloadMs: settings.embeddedIdleUnloadMs(), ...(threads ? { threads } : {}) };
    },
    workerPath: join(context.extensionUri.fsPath, 'dist', 'engineWorker.js'),
    log,
    onLoading: (model, loaded) =>
      void vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `$(loading~spin) Loading ${model} into the built-in engine…` },
        () => loaded.catch(() => undefined),
      ),
  });
  return { client, modelsFolder, dispose: () => void client.dispose() };
}
