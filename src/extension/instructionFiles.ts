import * as vscode from 'vscode';
import { INSTRUCTION_FILES, type InstructionPart } from '../streaming/instructions';

/** The modelChat.systemPrompt setting, then the first instructions file the workspace has. */
export async function readInstructions(): Promise<InstructionPart[]> {
  const parts: InstructionPart[] = [];
  const setting = vscode.workspace.getConfiguration('modelChat').get<string>('systemPrompt', '');
  if (setting.trim()) parts.push({ source: 'modelChat.systemPrompt', text: setting });
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return parts;
  for (const name of INSTRUCTION_FILES) {
    try {
      const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, name));
      parts.push({ source: name, text: new TextDecoder().decode(bytes) });
      break;
    } catch {
      // not there: try the next one
    }
  }
  return parts;
}
