/** Where code outside src/extension writes its log lines; the host hands it VS Code's LogOutputChannel. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** For tests and tools that want no log. */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
