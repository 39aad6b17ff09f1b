/**
 * Full texts of tool results too large for the chat, kept on disk (the extension's global storage) so the
 * user can open one from its card. Each file is capped, and the folder keeps only the newest files.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatBytes } from '../shared/bytes';

export interface ToolResultFilesOptions {
  /** Largest file kept; the rest of a result is cut with a note. Default 50 MB. */
  maxFileBytes?: number;
  /** Oldest files go once the folder holds more than this. Default 200 MB. */
  maxTotalBytes?: number;
  /** And once it holds more files than this. Default 100. */
  maxFiles?: number;
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class ToolResultFiles {
  private readonly maxFileBytes: number;
  private pruning: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly options: ToolResultFilesOptions = {},
  ) {
    this.maxFileBytes = options.maxFileBytes ?? 50 * 1024 * 1024;
  }

  /** Writes the text and returns its id (what the card asks to open). */
  async save(text: string): Promise<string> {
    const id = randomUUID();
    const bytes = Buffer.from(text, 'utf8');
    const kept =
      bytes.length > this.maxFileBytes
        ? Buffer.concat([
            bytes.subarray(0, this.maxFileBytes),
            Buffer.from(`\n\n[Cut at ${formatBytes(this.maxFileBytes)} of ${formatBytes(bytes.length)}.]\n`),
          ])
        : bytes;
    await mkdir(this.dir, { recursive: true });
    await writeFile(join(this.dir, `${id}.txt`), kept);
    this.pruning = this.pruning.then(() => this.prune()).catch(() => {});
    return id;
  }

  /** The file of an id this store made, if it is still there; undefined for anything else. */
  pathOf(id: string): string | undefined {
    if (!ID.test(id)) return undefined;
    const path = join(this.dir, `${id}.txt`);
    return existsSync(path) ? path : undefined;
  }

  private async prune(): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => ID.test(n.replace(/\.txt$/, '')));
    const files = await Promise.all(
      names.map(async (name) => ({ name, ...(await stat(join(this.dir, name)).then((s) => ({ size: s.size, mtime: s.mtimeMs }))) })),
    );
    files.sort((a, b) => b.mtime - a.mtime);
    let total = 0;
    for (const [i, f] of files.entries()) {
      total += f.size;
      // The newest file always stays: it is the one the user was just shown.
      if (i > 0 && (i >= (this.options.maxFiles ?? 100) || total > (this.options.maxTotalBytes ?? 200 * 1024 * 1024)))
        await unlink(join(this.dir, f.name)).catch(() => {});
    }
  }
}
