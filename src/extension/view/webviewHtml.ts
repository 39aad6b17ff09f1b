import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { pageHtml } from './pageHtml';

/** The sidebar view and editor tabs alike: scripts on, resources only from the extension's own folders. */
export function chatWebviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

export function chatHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const uri = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...parts)).toString();
  return pageHtml({
    cspSource: webview.cspSource,
    nonce: randomBytes(16).toString('base64'),
    codiconCss: uri('dist', 'codicons', 'codicon.css'),
    chatCss: uri('media', 'chat.css'),
    script: uri('dist', 'webview.js'),
  });
}
