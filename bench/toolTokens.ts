/**
 * Tool-definition tokens sent with every request (issue #17 point 5): all tools vs the tools menu's choices.
 * The tools are real: the built-in workspace tools and what the published MCP servers server-everything and
 * server-filesystem list over stdio. The choices are a typical set made in the menu for one conversation:
 * server-everything off, and of server-filesystem only its read-only tools. The figures are what the request
 * builder sends (each tool's definition as JSON, the one token estimate). Standalone:
 * `node --import tsx bench/toolTokens.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpConnections } from '../src/tools/mcp/mcpConnections';
import { McpToolSupport } from '../src/tools/mcp/mcpToolSupport';
import { ToolChoices, toolTokens, type ToolChoiceStore } from '../src/tools/toolChoices';
import type { ToolDescriptor } from '../src/tools/toolSupport';
import { WORKSPACE_SOURCE } from '../src/tools/workspace/workspaceToolSupport';
import { WORKSPACE_TOOLS } from '../src/tools/workspace/workspaceToolDefs';
import { everythingBin, filesystemBin, nodeServer } from '../test/fakes/mcpServers';
import { silentLog } from './hosts';

const CONVERSATION = 'bench';

/** The menu's choices kept in memory, as the host keeps them in global, workspace and conversation state. */
function memoryStore(): ToolChoiceStore {
  let userOff: string[] = [];
  let workspaceOff: string[] = [];
  const conversations = new Map<string, Record<string, boolean>>();
  return {
    userOff: () => userOff,
    setUserOff: (keys) => (userOff = keys),
    workspaceOff: () => workspaceOff,
    setWorkspaceOff: (keys) => (workspaceOff = keys),
    conversation: (id) => conversations.get(id) ?? {},
    setConversation: (id, choices) => conversations.set(id, choices),
  };
}

const sum = (tools: readonly ToolDescriptor[]) => tools.reduce((n, t) => n + toolTokens(t), 0);

async function main(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'bench-tool-tokens-'));
  const connections = new McpConnections([nodeServer('everything', everythingBin()), nodeServer('filesystem', filesystemBin(), [folder])], {
    logger: silentLog,
  });
  try {
    const mcp = new McpToolSupport(connections, {
      approval: () => 'always',
      timeoutMs: () => 20_000,
      alwaysAllowed: () => new Set(),
      rememberAlwaysAllowed: () => {},
    });
    const workspace: ToolDescriptor[] = WORKSPACE_TOOLS.map((t) => ({ ...t, server: WORKSPACE_SOURCE }));
    const all = [...workspace, ...(await mcp.list(new AbortController().signal))];

    const choices = new ToolChoices(memoryStore());
    choices.set(CONVERSATION, 'everything', undefined, false, 'conversation');
    for (const t of all)
      if (t.server === 'filesystem' && !t.readOnly) choices.set(CONVERSATION, 'filesystem', t.name, false, 'conversation');
    const enabled = choices.filter(all, CONVERSATION);
    const menu = choices.menu(CONVERSATION, all, ['everything', 'filesystem']);
    // The menu's own figures must be the ones sent: the same tools, the same estimate.
    if (menu.allTokens !== sum(all) || menu.enabledTokens !== sum(enabled)) throw new Error('the menu and the request disagree');

    const rows = [
      ['all tools', all.length, sum(all)],
      ['the menu’s choices', enabled.length, sum(enabled)],
    ] as const;
    console.log('Tool-definition tokens sent with each request');
    console.log('| tools | count | tokens |\n|---|---:|---:|');
    for (const [what, count, tokens] of rows) console.log(`| ${what} | ${count} | ${tokens.toLocaleString('en-US')} |`);
    const saved = 1 - sum(enabled) / sum(all);
    console.log(
      `\n${(saved * 100).toFixed(0)}% fewer tool tokens per request with the choices (${[...new Set(all.map((t) => t.server))].join(', ')}).`,
    );
  } finally {
    await connections.dispose();
    rmSync(folder, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
