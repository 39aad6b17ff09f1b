/**
 * Code fences in Markdown the model or the user wrote: a fence that cannot be closed by what it wraps, and
 * where an unfinished answer is still inside one. Pure string work, shared by the page (the streaming tail),
 * the context prompt and the exported transcript.
 */

/** A backtick fence longer than any run of backticks inside (CommonMark: a fence closes only on one at least as long). */
export function fenceFor(text: string): string {
  const longestRun = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  return '`'.repeat(longestRun + 1);
}

/**
 * The line that closes the fence still open at the end of `text`, or undefined when none is. A fence opened
 * in a list item (`- ```js`) is closed at the item's indentation, so the close stays inside the item.
 */
export function closingFence(text: string): string | undefined {
  let open: { char: string; len: number; indent: number } | undefined;
  for (const line of text.split('\n')) {
    const m = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(line);
    if (!open) {
      // A bullet or number may hold the fence (`- ```js`): its content sits at the item's indentation.
      const inItem = /^(\s*(?:[-*+]|\d+[.)])\s+)(`{3,}|~{3,})(.*)$/.exec(line);
      const fm = m ?? (inItem ? [line, ' '.repeat(inItem[1].length), inItem[2], inItem[3]] : null);
      if (fm && !(fm[2][0] === '`' && fm[3].includes('`'))) open = { char: fm[2][0], len: fm[2].length, indent: fm[1].length };
    } else {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(line);
      if (close && close[1][0] === open.char && close[1].length >= open.len) open = undefined;
    }
  }
  return open && ' '.repeat(open.indent) + open.char.repeat(open.len);
}

/** An unclosed fence at the end: markdown-it closes it by itself, and nothing inside may be touched. */
export const endsInsideFence = (text: string): boolean => closingFence(text) !== undefined;
