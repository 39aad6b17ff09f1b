/**
 * The + button's quick picks: what can be attached now, then (for "Files…") the workspace's files,
 * filtered as the user types, with the system's open dialog one button away.
 */
import * as vscode from 'vscode';
import { baseName, workspaceProblems } from './contextSources';
import { Latest } from '../../shared/abort';

/** What the picks act on (the ContextController; an interface, so the two modules do not import each other). */
export interface PickTarget {
  addFiles(uris: readonly vscode.Uri[]): Promise<number>;
  addProblems(): void;
  toggle(id: string, enabled: boolean): void;
}

/** Implicit chips that are there but off, by label: offered to turn back on. */
export interface Offers {
  selection?: string;
  activeFile?: string;
  /** MCP servers' resources (src/extension/mcp/mcpResources.ts), when there is a way to pick them. */
  resources?: () => Promise<void>;
}

type Choice = 'files' | 'problems' | 'activeFile' | 'selection' | 'resources';

/** The initial list; a bigger workspace is searched with a glob as the user types instead. */
const MAX_LISTED = 2000;
const EXCLUDE = '{**/node_modules/**,**/.git/**}';
const ALL = '**/*';

export async function pickContext(target: PickTarget, offers: Offers): Promise<void> {
  const problems = workspaceProblems().length;
  const items: Array<vscode.QuickPickItem & { choice: Choice }> = [
    { label: '$(file) Files…', description: 'Attach files of the workspace', choice: 'files' },
    ...(offers.resources
      ? [{ label: '$(plug) MCP resources…', description: "Attach your MCP servers' resources", choice: 'resources' as const }]
      : []),
    ...(problems ? [{ label: '$(warning) Problems', description: `${problems} in the workspace`, choice: 'problems' as const }] : []),
    ...(offers.activeFile ? [{ label: '$(file-code) Active file', description: offers.activeFile, choice: 'activeFile' as const }] : []),
    ...(offers.selection ? [{ label: '$(selection) Selection', description: offers.selection, choice: 'selection' as const }] : []),
  ];
  const chosen = await vscode.window.showQuickPick(items, { title: 'Add context', placeHolder: 'What should the next question carry?' });
  if (!chosen) return;
  if (chosen.choice === 'files') {
    const uris = await pickFiles();
    if (uris.length) await target.addFiles(uris);
  } else if (chosen.choice === 'resources') await offers.resources?.();
  else if (chosen.choice === 'problems') target.addProblems();
  else target.toggle(chosen.choice, true);
}

interface FileItem extends vscode.QuickPickItem {
  uri: vscode.Uri;
}

/** Workspace files, several at once; the open dialog when there is no folder or the user asks for it. */
export async function pickFiles(): Promise<vscode.Uri[]> {
  if (!vscode.workspace.workspaceFolders?.length) return openDialog();
  const pick = vscode.window.createQuickPick<FileItem>();
  pick.title = 'Attach files';
  pick.placeholder = 'Type to filter; check several files, then press Enter';
  pick.canSelectMany = true;
  pick.matchOnDescription = true;
  // Files checked so far are not lost to a stray click elsewhere; Escape still closes it. Once in an e2e run
  // this pick was shown and at once hidden, nothing attached: most likely the pick before it ("Add context")
  // gave the focus back to the chat as it closed.
  pick.ignoreFocusOut = true;
  const dialogButton: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('folder-opened'), tooltip: 'Open dialog…' };
  pick.buttons = [dialogButton];
  pick.busy = true;
  pick.show();
  // A new search replaces the items: the checked ones are kept at the top, still checked.
  const setItems = (uris: vscode.Uri[]) => {
    const kept = pick.selectedItems.map((i) => ({ ...i, picked: true }));
    const keptIds = new Set(kept.map((i) => i.uri.toString()));
    const fresh = uris
      .filter((u) => !keptIds.has(u.toString()))
      .map(toItem)
      .sort((a, b) => (a.description! + a.label).localeCompare(b.description! + b.label));
    pick.items = [...kept, ...fresh];
    pick.selectedItems = pick.items.slice(0, kept.length);
  };
  const search = new vscode.CancellationTokenSource();
  let all: vscode.Uri[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const searches = new Latest();
  const find = async (glob: string) => {
    const ticket = searches.next();
    pick.busy = true;
    // A cancelled or failed search leaves the list as it was.
    const uris = await Promise.resolve(vscode.workspace.findFiles(glob, EXCLUDE, MAX_LISTED, search.token)).catch(() => undefined);
    // Only the newest search may fill the list, and none once the pick is gone.
    if (!ticket.isCurrent() || search.token.isCancellationRequested) return;
    pick.busy = false;
    if (!uris) return;
    if (glob === ALL) all = uris;
    setItems(uris);
  };
  // Listening before the first search: Escape or Enter while it runs must end the pick too.
  const result = new Promise<vscode.Uri[] | 'dialog'>((resolve) => {
    pick.onDidTriggerButton(() => resolve('dialog'));
    // Enter with nothing checked takes the highlighted file, as a single pick would.
    pick.onDidAccept(() => resolve((pick.selectedItems.length ? pick.selectedItems : pick.activeItems).map((i) => i.uri)));
    pick.onDidHide(() => resolve([]));
  });
  // The first MAX_LISTED files are all there is to filter in a big workspace: look further as the user types.
  pick.onDidChangeValue((value) => {
    if (all.length < MAX_LISTED) return;
    clearTimeout(timer);
    timer = setTimeout(() => void find(value.trim() ? nameGlob(value) : ALL), 200);
  });
  void find(ALL);
  const chosen = await result;
  clearTimeout(timer);
  search.cancel();
  search.dispose();
  pick.dispose();
  return chosen === 'dialog' ? openDialog() : chosen;
}

async function openDialog(): Promise<vscode.Uri[]> {
  const uris = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: true,
    openLabel: 'Attach',
    title: 'Attach files to Model Chat',
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return uris ?? [];
}

function toItem(uri: vscode.Uri): FileItem {
  const relative = vscode.workspace.asRelativePath(uri);
  const slash = relative.lastIndexOf('/');
  return { label: baseName(uri), description: slash > 0 ? relative.slice(0, slash) : '', uri };
}

/** `**` + the typed text as a case-insensitive substring of a file name; glob syntax in it is matched as any character. */
function nameGlob(value: string): string {
  const chars = [...value.trim().slice(0, 100)].map((c) =>
    /[*?[\]{}!\\,]/.test(c) ? '?' : c.toLowerCase() !== c.toUpperCase() ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c,
  );
  return `**/*${chars.join('')}*`;
}
