import * as vscode from 'vscode';
import { linkTarget } from './linkTarget';

export interface LinkSink {
  log: vscode.LogOutputChannel;
  /** A line in the chat, so a refused click is not just silence. */
  notify(text: string): void;
}

/** Opens a link the chat page posted (the page sends every click here and lets nothing else handle it). */
export async function openLink(href: string, sink: LinkSink): Promise<void> {
  const target = linkTarget(href);
  const shown = href.slice(0, 200);
  switch (target.kind) {
    case 'external': {
      let uri: vscode.Uri;
      try {
        uri = vscode.Uri.parse(href, true);
      } catch {
        return refuse(sink, `Not opening a malformed link: ${shown}`, 'Not opening a malformed link from the chat.');
      }
      await vscode.env.openExternal(uri);
      return;
    }
    case 'workspace':
      if (await openWorkspacePath(target.path, target.line)) return;
      return refuse(
        sink,
        `Not opening a link that is neither a web address nor a file in the workspace: ${shown}`,
        `Not opening “${shown.slice(0, 80)}”: it is not a file in this workspace.`,
      );
    case 'refused':
      if (!target.scheme) return refuse(sink, `Not opening a malformed link: ${shown}`, 'Not opening a malformed link from the chat.');
      return refuse(
        sink,
        `Not opening a link with scheme '${target.scheme}': ${shown}`,
        `Not opening a ${target.scheme}: link from the chat; only web, mail and workspace file links open.`,
      );
  }
}

function refuse(sink: LinkSink, logLine: string, notice: string): void {
  sink.log.warn(logLine);
  sink.notify(notice);
}

async function openWorkspacePath(path: string, line: number): Promise<boolean> {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const uri = vscode.Uri.joinPath(folder.uri, path);
    // joinPath normalises `..`: refuse anything that ends up outside the folder.
    if (!uri.path.startsWith(folder.uri.path.replace(/\/?$/, '/'))) continue;
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      continue;
    }
    const selection = line > 0 ? new vscode.Range(line - 1, 0, line - 1, 0) : undefined;
    await vscode.window.showTextDocument(uri, { selection, preview: true });
    return true;
  }
  return false;
}
