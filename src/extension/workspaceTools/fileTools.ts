/**
 * read_file, list_files, find_files and search_text: reads through boundedFile (regular files, size cap,
 * symlinks resolved and kept inside the workspace), walks and searches through the ripgrep VS Code ships,
 * so .gitignore, files.exclude and search.exclude hide the same files they hide in VS Code's own search.
 */
import * as vscode from 'vscode';
import { readBoundedFile } from '../../shared/boundedFile';
import { CappedText } from '../../tools/workspace/cappedText';
import { sliceLines } from '../../tools/workspace/lineRange';
import { findRipgrep, listPaths, searchText } from '../../tools/workspace/ripgrep';
import { resolveWorkspacePath, type WorkspaceFolderPath } from '../../tools/workspace/workspacePaths';
import type { WorkspaceToolHandler, WorkspaceToolOutput } from '../../tools/workspace/workspaceToolSupport';
import { excludeGlobs, localFolders, useIgnoreFiles } from './workspaceFolders';

/** Read from disk: a bigger file is read in part. */
const MAX_FILE_BYTES = 2 * 1024 * 1024;
/** What one answer may hold, for the model's context and the card. */
const MAX_ANSWER_BYTES = 48 * 1024;
const MAX_LISTED = 500;
/** list_files stops walking after this many paths below the folder (a huge tree). */
const MAX_WALKED = 20_000;

const failed = (text: string): WorkspaceToolOutput => ({ outcome: 'toolError', text });

export function fileToolHandlers(): Record<'read_file' | 'list_files' | 'find_files' | 'search_text', WorkspaceToolHandler> {
  let rg: Promise<string | undefined> | undefined;
  const ripgrep = async () => {
    const path = await (rg ??= findRipgrep(vscode.env.appRoot));
    if (!path) throw new Error(`VS Code's ripgrep was not found under ${vscode.env.appRoot}.`);
    return path;
  };
  const resolve = (path: unknown) => resolveWorkspacePath(typeof path === 'string' ? path : '.', localFolders());
  const walkOptions = (folder: WorkspaceFolderPath, signal: AbortSignal) => {
    const uri = vscode.Uri.file(folder.path);
    return { exclude: excludeGlobs(uri), useIgnoreFiles: useIgnoreFiles(uri), signal };
  };

  return {
    read_file: async (args, { signal }) => {
      const where = await resolve(args.path);
      if (!where.ok) return failed(where.error);
      const read = await readBoundedFile(where.absolute, { maxBytes: MAX_FILE_BYTES, truncate: true, within: [where.folder.path], signal });
      if (!read.ok) return failed(read.reason.replace(where.absolute, where.relative));
      if (read.bytes.subarray(0, 8000).includes(0)) return failed(`${where.relative} is a binary file.`);
      const text = new TextDecoder('utf-8').decode(read.bytes);
      const range = sliceLines(text, {
        startLine: args.startLine as number | undefined,
        endLine: args.endLine as number | undefined,
        maxBytes: MAX_ANSWER_BYTES,
        fileTruncated: read.truncated,
      });
      return { text: `${where.relative}\n${range.text}` };
    },

    list_files: async (args, { signal }) => {
      const where = await resolve(args.path ?? '.');
      if (!where.ok) return failed(where.error);
      const prefix = where.relative === '.' ? '' : `${where.relative}/`;
      const files = new Set<string>();
      const folders = new Set<string>();
      let walked = 0;
      await listPaths(await ripgrep(), where.folder.path, { ...walkOptions(where.folder, signal), under: where.relative }, (path) => {
        const rest = path.startsWith(prefix) ? path.slice(prefix.length) : path;
        const slash = rest.indexOf('/');
        if (slash < 0) files.add(rest);
        else folders.add(rest.slice(0, slash));
        return ++walked < MAX_WALKED && files.size + folders.size < MAX_LISTED;
      });
      const entries = [...[...folders].sort().map((f) => `${f}/`), ...[...files].sort()];
      if (!entries.length) return { text: `${where.relative}: no files (or all of them ignored or excluded).` };
      const more = walked >= MAX_WALKED || entries.length >= MAX_LISTED ? '\n[The listing stopped early: the folder is large.]' : '';
      return { text: `${where.relative}/\n${entries.join('\n')}${more}` };
    },

    find_files: async (args, { signal }) => {
      const folders = localFolders();
      if (!folders.length) return failed('No folder is open in VS Code.');
      const max = (args.maxResults as number | undefined) ?? 100;
      const found: string[] = [];
      const label = (folder: WorkspaceFolderPath, path: string) => (folders.length > 1 ? `${folder.name}/${path}` : path);
      for (const folder of folders) {
        if (found.length >= max) break;
        await listPaths(await ripgrep(), folder.path, { ...walkOptions(folder, signal), glob: String(args.pattern) }, (path) => {
          found.push(label(folder, path));
          return found.length < max;
        });
      }
      if (!found.length) return { text: `No files match ${String(args.pattern)} (ignored and excluded files are left out).` };
      return { text: found.sort().join('\n') + (found.length >= max ? `\n[Stopped at ${max} files.]` : '') };
    },

    search_text: async (args, { signal }) => {
      const folders = localFolders();
      if (!folders.length) return failed('No folder is open in VS Code.');
      const maxResults = (args.maxResults as number | undefined) ?? 100;
      const out = new CappedText(MAX_ANSWER_BYTES);
      let matches = 0;
      let limited = false;
      for (const folder of folders) {
        if (matches >= maxResults || out.full) break;
        const result = await searchText(
          await ripgrep(),
          folder.path,
          {
            query: String(args.query),
            fixed: args.fixed as boolean | undefined,
            caseSensitive: args.caseSensitive as boolean | undefined,
            glob: args.glob as string | undefined,
          },
          { ...walkOptions(folder, signal), maxResults: maxResults - matches, maxBytes: MAX_ANSWER_BYTES - out.keptBytes },
        );
        if (result.error) return failed(`The search failed: ${result.error}`);
        const text = folders.length > 1 ? result.text.replace(/^(?=.)/gm, `${folder.name}/`) : result.text;
        out.push(text);
        matches += result.matches;
        limited ||= result.limited;
      }
      if (!matches) return { text: `No matches for ${JSON.stringify(args.query)}.` };
      const note = limited ? `\n[Showing the first ${matches} matches; narrow the query or add a glob for more.]` : '';
      return { text: `${matches} match${matches === 1 ? '' : 'es'}:\n${out.text()}${note}` };
    },
  };
}
