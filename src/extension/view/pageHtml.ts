/** The chat page's markup, free of `vscode` so tests can serve exactly what the webview gets. */
export interface PageResources {
  /** The origin resources are served from (`webview.cspSource` in VS Code). */
  cspSource: string;
  nonce: string;
  codiconCss: string;
  chatCss: string;
  script: string;
  /** Test harnesses put their stand-in for `acquireVsCodeApi` here; it runs under the same nonce. */
  prelude?: string;
}

/**
 * Scripts run only with this load's nonce; nothing is allowed from outside the extension except images
 * embedded as data: URIs, so model output cannot make the webview fetch anything (the one worker is made
 * by the page's script from the extension's own bundle).
 */
export function pageHtml(r: PageResources): string {
  const csp = [
    "default-src 'none'",
    `img-src ${r.cspSource} data:`,
    `style-src ${r.cspSource}`,
    `font-src ${r.cspSource}`,
    `script-src 'nonce-${r.nonce}'`,
    // Syntax highlighting runs in a worker built from the extension's own bundle (highlighter.ts): fetched
    // from the extension's origin, started from a blob: URL that only the page's own script can make.
    `connect-src ${r.cspSource}`,
    'worker-src blob:',
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${r.codiconCss}" rel="stylesheet">
<link href="${r.chatCss}" rel="stylesheet">
<title>Model Chat</title>
</head>
<body>
<div id="app"></div>
${r.prelude ? `<script nonce="${r.nonce}">${r.prelude}</script>\n` : ''}<script nonce="${r.nonce}" src="${r.script}"></script>
</body>
</html>`;
}
