import { promises as fs, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeAtomic } from '../../history/atomicFile';

/** The file is ours and holds a few ids; anything larger is not what we wrote. */
const MAX_BYTES = 64 * 1024;

interface Readable {
  get<T>(key: string): T | undefined;
}

/**
 * A `Memento` (`get`/`update`) kept in a JSON file in the extension's storage folder, written by the
 * extension host as soon as a value changes. `workspaceState` is kept by the workbench: in a browser-hosted
 * editor (code-server, Codespaces) it lives in the browser's IndexedDB, and a browser reload (F5) right
 * after a change can drop it, which is when the chat tabs' conversations are needed (chatPanels.ts). The
 * storage folder is on the extension host's disk. Two windows on one folder share the file and the last
 * write wins, as they shared `workspaceState`.
 */
export class FileMemento {
  private values: Record<string, unknown>;
  /**
   * Where keys are read from until the file is first written: the memento this one took over from, and only
   * while there is no file (a damaged file is an empty memory, not a reason to bring back older values).
   */
  private fallback: Readable | undefined;
  /** Writes one after another, the last value last. */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    onError: (message: string) => void = () => {},
    fallback?: Readable,
  ) {
    const read = readValues(file, onError);
    this.values = read ?? {};
    this.fallback = read === undefined ? fallback : undefined;
  }

  get<T>(key: string): T | undefined;
  get<T>(key: string, defaultValue: T): T;
  get<T>(key: string, defaultValue?: T): T | undefined {
    const value = key in this.values ? (this.values[key] as T) : this.fallback?.get<T>(key);
    return value === undefined ? defaultValue : value;
  }

  /** `undefined` removes the key, as with VS Code's mementos. */
  update(key: string, value: unknown): Promise<void> {
    const { [key]: _old, ...rest } = this.values;
    this.values = value === undefined ? rest : { ...rest, [key]: value };
    this.fallback = undefined;
    const text = JSON.stringify(this.values);
    const write = this.writing.then(async () => {
      await fs.mkdir(dirname(this.file), { recursive: true });
      await writeAtomic(this.file, text);
    });
    this.writing = write.catch(() => undefined);
    return write;
  }

  /** Settles once every write asked for so far has ended (deactivation waits for it). */
  flush(): Promise<void> {
    return this.writing.then(() => undefined);
  }
}

/**
 * Read once, at activation. No file: undefined (nothing was written yet). A damaged or oversized one is an
 * empty memory, and said.
 */
function readValues(file: string, onError: (message: string) => void): Record<string, unknown> | undefined {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_BYTES) {
      onError(`${file} is larger than expected (${size} bytes): ignored`);
      return {};
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    onError(`${file} could not be read: ${String(err)}`);
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
