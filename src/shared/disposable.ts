/**
 * What starts something returns a Disposable; a class that starts things keeps them in a DisposableStore
 * (or extends Disposable), and disposing it ends them all, newest first. Shaped like VS Code's own, so
 * `vscode.Disposable`s go in too, without this module importing vscode.
 */
export interface IDisposable {
  dispose(): void;
}

export class DisposableStore implements IDisposable {
  private items: IDisposable[] = [];
  private disposed = false;

  add<T extends IDisposable>(item: T): T {
    if (this.disposed) item.dispose();
    else this.items.push(item);
    return item;
  }

  dispose(): void {
    this.disposed = true;
    const items = this.items.reverse();
    this.items = [];
    for (const item of items) {
      try {
        item.dispose();
      } catch {
        // one failing dispose must not keep the others alive
      }
    }
  }
}

export abstract class Disposable implements IDisposable {
  protected readonly store = new DisposableStore();

  protected register<T extends IDisposable>(item: T): T {
    return this.store.add(item);
  }

  dispose(): void {
    this.store.dispose();
  }
}

export function toDisposable(fn: () => void): IDisposable {
  return { dispose: fn };
}
