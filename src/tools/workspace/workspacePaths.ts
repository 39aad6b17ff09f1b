/**
 * Where a path the model names really is. The model writes paths relative to a workspace folder; a path
 * that leaves the folder (`../`, an absolute path elsewhere) or a symlink in the repository that leads
 * out of it (`notes -> ~/.ssh`) is refused before anything is read, listed or proposed.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { isInside } from '../../shared/boundedFile';

export interface WorkspaceFolderPath {
  name: string;
  /** Absolute file-system path of the folder. */
  path: string;
}

export type ResolvedPath = { ok: true; absolute: string; folder: WorkspaceFolderPath; relative: string } | { ok: false; error: string };

/**
 * `folders[0]` is the default; in a multi-root workspace "<folder name>/rest" picks another folder, as
 * VS Code's own relative paths do.
 */
export async function resolveWorkspacePath(raw: string, folders: readonly WorkspaceFolderPath[]): Promise<ResolvedPath> {
  if (folders.length === 0) return { ok: false, error: 'No folder is open in VS Code.' };
  const cleaned = raw.trim().replace(/^file:\/\//, '') || '.';
  let folder = folders[0];
  let rest = cleaned;
  if (!isAbsolute(cleaned) && folders.length > 1) {
    const [first, ...tail] = cleaned.split(/[\\/]/);
    const named = folders.find((f) => f.name === first);
    if (named) {
      folder = named;
      rest = tail.join('/') || '.';
    }
  }
  if (isAbsolute(rest)) {
    const owner = folders.find((f) => within(f.path, resolve(rest)));
    if (!owner) return { ok: false, error: `${raw} is outside the workspace.` };
    folder = owner;
  }
  const absolute = resolve(folder.path, rest);
  if (!within(folder.path, absolute)) return { ok: false, error: `${raw} is outside the workspace.` };
  // Symlinks resolved: a link inside the folder may point anywhere.
  if (!(await isInside(absolute, [folder.path]))) return { ok: false, error: `${raw} leads outside the workspace (a symbolic link).` };
  return { ok: true, absolute, folder, relative: relative(folder.path, absolute).split(sep).join('/') || '.' };
}

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
