import { promises as fs, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeAtomic } from '../../history/atomicFile';

/** The file is ours and holds a few ids; anything larger is not what we wrote. */
const MAX_BYTES = 64 * 1024;

/**
 * A `Memento` (`get`/`update`) kept in a JSON file in the extension's storage folder, written by the
 * extension host as soon as a value changes. `workspaceState` is kept by the workbench: in a browser-hosted
 * editor (code-server, Codespaces) it lives in the browser's IndexedDB, and a browser reload (F5) right
 * after a change can drop it, which is when the chat tabs' conversations are needed (chatPanels.ts). The
 * storage folder is on the extension host's disk.
 */
export class FileMemento {
  private values: Record<string, unknown>;
  /** Writes one after another, the last value last. */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    onError: (message: string) => void = () => {},
    /** Where a key not written here yet is read from (the memento this one took over from). */
    private readonly fallback?: { get<T>(key: string): T | undefined },
  ) {
    this.values = readValues(file, onError);
  }

  get<T>(key: string): T | undefined {
    return key in this.values ? (this.values[key] as T) : this.fallback?.get<T>(key);
  }

  update(key: string, value: unknown): Promise<void> {
    this.values = { ...this.values, [key]: value };
    const text = JSON.stringify(this.values);
    const write = this.writing.then(async () => {
      await fs.mkdir(dirname(this.file), { recursive: true });
      await writeAtomic(this.file, text);
    });
    this.writing = write.catch(() => undefined);
    return write;
  }
}

/** Read once, at activation: a missing file is an empty memory, a damaged one too (and said). */
function readValues(file: string, onError: (message: string) => void): Record<string, unknown> {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_BYTES) {
      onError(`${file} is larger than expected (${size} bytes): ignored`);
      return {};
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') onError(`${file} could not be read: ${String(err)}`);
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  onError(`${file} is not a JSON object: ignored`);
  return {};
}
