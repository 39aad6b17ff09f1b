/**
 * The built-in workspace tools as the model sees them. `readOnly` is the same hint MCP tools carry
 * (readOnlyHint), so the `readOnly` approval mode and Restricted Mode treat both sources alike;
 * `alwaysAsks` marks a tool no setting may run without the user's Allow.
 */

export const WORKSPACE_TOOL_NAMES = [
  'read_file',
  'list_files',
  'find_files',
  'search_text',
  'get_problems',
  'propose_edit',
  'run_command',
] as const;
export type WorkspaceToolName = (typeof WORKSPACE_TOOL_NAMES)[number];

export interface WorkspaceToolDef {
  name: WorkspaceToolName;
  description: string;
  inputSchema: Record<string, unknown>;
  readOnly: boolean;
  /** Asks every time, whatever the approval setting or "Always allow" says. */
  alwaysAsks?: boolean;
}

const path = (what: string) => ({ type: 'string', description: `${what}, relative to the workspace folder (e.g. "src/app.ts")` });

export const WORKSPACE_TOOLS: readonly WorkspaceToolDef[] = [
  {
    name: 'read_file',
    description:
      'Read a text file of the workspace. Lines are numbered from 1; pass startLine/endLine to read part of a long file. Output is capped.',
    inputSchema: {
      type: 'object',
      properties: {
        path: path('The file'),
        startLine: { type: 'integer', minimum: 1, description: 'First line to read (default 1)' },
        endLine: { type: 'integer', minimum: 1, description: 'Last line to read, inclusive (default: as many as fit the cap)' },
      },
      required: ['path'],
    },
    readOnly: true,
  },
  {
    name: 'list_files',
    description: 'List the files and folders directly inside a folder of the workspace (ignored and excluded files left out).',
    inputSchema: {
      type: 'object',
      properties: { path: { ...path('The folder'), default: '.' } },
    },
    readOnly: true,
  },
  {
    name: 'find_files',
    description: 'Find workspace files whose path matches a glob pattern such as "**/*.test.ts" (ignored and excluded files left out).',
    inputSchema: {
      type: 'object',
      properties: {
        pattern: { type: 'string', description: 'Glob pattern relative to the workspace folder' },
        maxResults: { type: 'integer', minimum: 1, maximum: 500, description: 'At most this many paths (default 100)' },
      },
      required: ['pattern'],
    },
    readOnly: true,
  },
  {
    name: 'search_text',
    description:
      'Search the text of the workspace files (ripgrep; .gitignore respected). Returns path:line: text for each match. The query is a regular expression unless fixed is true.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'What to search for' },
        fixed: { type: 'boolean', description: 'Search for the literal text, not a regular expression' },
        caseSensitive: { type: 'boolean', description: 'Match case exactly (default: smart case)' },
        glob: { type: 'string', description: 'Only files matching this glob, e.g. "*.ts" or "src/**"' },
        maxResults: { type: 'integer', minimum: 1, maximum: 500, description: 'At most this many matches (default 100)' },
      },
      required: ['query'],
    },
    readOnly: true,
  },
  {
    name: 'get_problems',
    description: 'The errors and warnings VS Code knows for the workspace (compiler, linters), optionally for one file.',
    inputSchema: {
      type: 'object',
      properties: {
        path: path('Only this file'),
        includeWarnings: { type: 'boolean', description: 'Include warnings too (default true)' },
      },
    },
    readOnly: true,
  },
  {
    name: 'propose_edit',
    description:
      "Propose new content for a workspace file (the whole file). The user reviews it in a diff and accepts or rejects it; nothing is written without the user's Accept. Returns the user's decision.",
    inputSchema: {
      type: 'object',
      properties: {
        path: path('The file to change or create'),
        content: { type: 'string', description: 'The complete new content of the file' },
        summary: { type: 'string', description: 'One line saying what the change does' },
      },
      required: ['path', 'content'],
    },
    readOnly: false,
  },
  {
    name: 'run_command',
    description:
      'Run a shell command in a terminal in the workspace folder and return its output (capped). The user approves every command.',
    inputSchema: {
      type: 'object',
      properties: {
        command: { type: 'string', description: 'The command line, e.g. "npm test"' },
        timeoutSeconds: { type: 'integer', minimum: 1, maximum: 1800, description: 'Stop the command after this long (default 120)' },
      },
      required: ['command'],
    },
    readOnly: false,
    alwaysAsks: true,
  },
];

export function workspaceToolDef(name: string): WorkspaceToolDef | undefined {
  return WORKSPACE_TOOLS.find((t) => t.name === name);
}
