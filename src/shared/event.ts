/**
 * Typed events in the style of VS Code's Emitter/Event<T>, for code that must not import vscode:
 * `readonly onDidEndTurn = this.endTurn.event;` and `session.onDidEndTurn((e) => …)` returns a Disposable.
 */
import type { IDisposable } from './disposable';

export type Event<T> = (listener: (e: T) => void) => IDisposable;

export class Emitter<T> implements IDisposable {
  private listeners = new Set<(e: T) => void>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(e: T): void {
    for (const listener of [...this.listeners]) listener(e);
  }

  dispose(): void {
    this.listeners.clear();
  }
}
