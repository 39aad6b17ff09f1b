/**
 * Makes a live element's children equal to freshly parsed nodes while keeping every live node that can
 * stay: equal subtrees are left alone, an element of the same tag is updated in place (attributes, then
 * its own children), a text node gets the new text. Only what really differs is created. The streaming
 * tail is re-rendered per update; replacing it wholesale rebuilt a long list or table at the end of an
 * answer dozens of times (3.8 elements created per element of the final answer on a 130 KB document).
 *
 * Children are matched by position: a streamed answer grows at its end, so what came before keeps its
 * place. When something does shift, the result is still exact, only less is reused.
 */
export function morphChildren(parent: Node, fresh: readonly Node[]): void {
  let live = parent.firstChild;
  for (const node of fresh) {
    if (live && (live.isEqualNode(node) || morphNode(live, node))) {
      live = live.nextSibling;
      continue;
    }
    parent.insertBefore(node, live);
  }
  while (live) {
    const next = live.nextSibling;
    live.remove();
    live = next;
  }
}

/** Updates `live` to equal `fresh` in place; false when it cannot (a different kind of node or tag). */
function morphNode(live: Node, fresh: Node): boolean {
  if (live.nodeType !== fresh.nodeType) return false;
  if (live instanceof CharacterData) {
    const data = (fresh as CharacterData).data;
    if (live.data !== data) live.data = data;
    return true;
  }
  if (!(live instanceof Element) || !(fresh instanceof Element) || live.localName !== fresh.localName) return false;
  for (const name of live.getAttributeNames()) if (!fresh.hasAttribute(name)) live.removeAttribute(name);
  for (const { name, value } of Array.from(fresh.attributes)) if (live.getAttribute(name) !== value) live.setAttribute(name, value);
  morphChildren(live, Array.from(fresh.childNodes));
  return true;
}
