import * as vscode from 'vscode';
import { INSTRUCTION_FILES, type InstructionPart } from '../../streaming/chat/instructions';
import { readWorkspaceFile } from '../workspaceFile';

/** Far more than the 16,000 characters that are kept: only this much of a huge file is read. */
const MAX_INSTRUCTIONS_FILE_BYTES = 256 * 1024;

/** The workspace's instructions file: its text, or why it is not used (a link out of the workspace, not a regular file). */
export type InstructionFile = { name: string; text: string } | { name: string; refused: string };

/**
 * The first of INSTRUCTION_FILES the first folder has. A repository decides what these are, so one that is
 * a link out of the workspace (`AGENTS.md -> ~/.ssh/id_rsa`) or not a regular file (`-> /dev/zero`) is
 * refused, not read, and the search stops there: the file the user sees is the one that counts.
 */
export async function findInstructionFile(signal?: AbortSignal): Promise<InstructionFile | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return undefined;
  for (const name of INSTRUCTION_FILES) {
    const read = await readWorkspaceFile(vscode.Uri.joinPath(folder.uri, name), {
      maxBytes: MAX_INSTRUCTIONS_FILE_BYTES,
      truncate: true,
      insideWorkspace: true,
      signal,
    });
    if (read.ok) return { name, text: new TextDecoder().decode(read.bytes) };
    if (read.code !== 'missing') return { name, refused: read.reason };
  }
  return undefined;
}

/** The modelChat.systemPrompt setting, then the workspace's instructions file unless it was refused (its chip says why). */
export async function readInstructions(signal?: AbortSignal): Promise<InstructionPart[]> {
  const parts: InstructionPart[] = [];
  const setting = vscode.workspace.getConfiguration('modelChat').get<string>('systemPrompt', '');
  if (setting.trim()) parts.push({ source: 'modelChat.systemPrompt', text: setting });
  const file = await findInstructionFile(signal);
  if (file && 'text' in file) parts.push({ source: file.name, text: file.text });
  return parts;
}
