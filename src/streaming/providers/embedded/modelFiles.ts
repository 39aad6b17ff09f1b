import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** One `.gguf` file of the models folder; its name is the file name without `.gguf` (contracts.md). */
export interface ModelFile {
  name: string;
  path: string;
  bytes: number;
}

const GGUF = /\.gguf$/i;

/** The `.gguf` files directly in `folder` (a missing folder has none); partial downloads (`.part`) are not models. */
export async function listModelFiles(folder: string): Promise<ModelFile[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files = await Promise.all(
    names
      .filter((n) => GGUF.test(n))
      .map(async (n) => {
        const path = join(folder, n);
        const info = await stat(path).catch(() => undefined);
        return info?.isFile() ? { name: n.replace(GGUF, ''), path, bytes: info.size } : undefined;
      }),
  );
  return files.filter((f): f is ModelFile => !!f).sort((a, b) => a.name.localeCompare(b.name));
}

/** The file of a model name, only inside `folder`: a name is never a path. */
export function modelPath(folder: string, name: string): string | undefined {
  if (!name || basename(name) !== name || name.startsWith('.')) return undefined;
  return join(folder, `${name}.gguf`);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${Math.round(bytes / 1024 ** 2)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}
