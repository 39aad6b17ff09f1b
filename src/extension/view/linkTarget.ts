/**
 * What a link from the chat page may open. Model output is untrusted: only web and mail links leave the
 * editor (through VS Code); a link without a scheme is a path in the workspace (`src/a.ts`, `src/a.ts#L12`);
 * every other scheme (`vscode:`, `command:`, `file:`, …) could run something inside the editor, so it is refused.
 */
export type LinkTarget =
  | { kind: 'external' }
  | { kind: 'workspace'; path: string; line: number }
  /** `scheme` is lower case, and empty for a link that is not even a well-formed path. */
  | { kind: 'refused'; scheme: string };

const EXTERNAL_SCHEMES = new Set(['http', 'https', 'mailto']);

export function linkTarget(href: string): LinkTarget {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(href)?.[1]?.toLowerCase();
  if (scheme !== undefined) return EXTERNAL_SCHEMES.has(scheme) ? { kind: 'external' } : { kind: 'refused', scheme };
  const [pathPart, fragment = ''] = href.split('#', 2);
  let path: string;
  try {
    path = decodeURIComponent(pathPart);
  } catch {
    return { kind: 'refused', scheme: '' };
  }
  return { kind: 'workspace', path: path.replace(/^\.?\//, ''), line: Number(/^L(\d+)/.exec(fragment)?.[1] ?? 0) };
}
