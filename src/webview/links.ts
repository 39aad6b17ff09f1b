/**
 * Every link in the page opens through the host, once. VS Code's webview host script also listens for `click`
 * and `auxclick` on this window and opens links itself, past the extension's scheme allow-list (a `vscode:`
 * link in model output would run), so the events are taken in the capture phase on the window, before any
 * other listener, and stopped there. Enter on a focused link arrives as a click; middle clicks as auxclick.
 */
export function routeLinksToHost(open: (href: string) => void): void {
  const take = (e: MouseEvent) => {
    // Right clicks (auxclick button 2) are the context menu's, and open nothing.
    if (e.type === 'auxclick' && e.button !== 1) return;
    const link = e
      .composedPath()
      .find(
        (node): node is HTMLAnchorElement | SVGAElement => node instanceof Element && node.localName === 'a' && node.hasAttribute('href'),
      );
    if (!link) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    open(link.getAttribute('href') ?? '');
  };
  window.addEventListener('click', take, true);
  window.addEventListener('auxclick', take, true);
}
