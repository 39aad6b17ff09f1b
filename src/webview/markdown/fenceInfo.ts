import type MarkdownIt from 'markdown-it';

/**
 * markdown-it keeps only the first word of a fence's info string (as `language-…`); Apply needs the rest,
 * where models name the file (`ts src/app.ts`). It goes on the `<code>` as `data-info`, escaped by
 * markdown-it's own attribute rendering.
 */
export function keepFenceInfo(md: InstanceType<typeof MarkdownIt>): void {
  const fence = md.renderer.rules.fence!;
  md.renderer.rules.fence = (tokens, idx, options, env, self) => {
    const info = tokens[idx]!.info.trim();
    if (info) tokens[idx]!.attrSet('data-info', info.slice(0, 500));
    return fence(tokens, idx, options, env, self);
  };
}
