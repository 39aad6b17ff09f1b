/** The editor selection that goes along with an "Ask model" question. */
export interface SelectionContext {
  text: string;
  languageId: string;
  /** Workspace-relative path when there is one. */
  fileName: string;
  startLine: number;
  endLine: number;
}

/** The question, then the selection as a fenced code block fenced longer than any backtick run inside it. */
export function composeQuestion(question: string, selection?: SelectionContext): string {
  if (!selection || selection.text.trim() === '') return question;
  const longestRun = Math.max(2, ...Array.from(selection.text.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(longestRun + 1);
  const lines = selection.startLine === selection.endLine ? `line ${selection.startLine}` : `lines ${selection.startLine}-${selection.endLine}`;
  const body = selection.text.endsWith('\n') ? selection.text : `${selection.text}\n`;
  return `${question}\n\nFrom \`${selection.fileName}\` (${lines}):\n\n${fence}${selection.languageId}\n${body}${fence}\n`;
}
