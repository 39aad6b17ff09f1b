/** Where src/tools writes its log lines; the host adapts VS Code's LogOutputChannel to it. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
