/**
 * prompts/list_changed and resources/list_changed from a server built on the SDK's real McpServer
 * (test/fakes/growingMcpServer.mjs), through the project's client code: when a tool adds a prompt at runtime, the
 * `/` list the host offers (McpPrompts, as the message box gets it) gains it, and a resource added the same way
 * is in the next listing, all on the same connection (no restart, no reconnect).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { McpPrompts, type McpPromptsDeps } from '../../src/extension/mcp/mcpPrompts';
import { MessageRouter } from '../../src/extension/view/messageRouter';
import { Emitter } from '../../src/shared/event';
import type { HostToWebview } from '../../src/shared/protocol';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import { listResources } from '../../src/tools/mcp/resources';
import { runTool } from '../../src/tools/mcp/toolRunner';
import { memoryLogger, nodeServer, waitFor } from '../fakes/mcpServers';

const growingServer = join(__dirname, '..', 'fakes', 'growingMcpServer.mjs');

describe('list_changed from a real McpServer', () => {
  const logger = memoryLogger();
  const lists = new Emitter<void>();
  const listChanges: string[] = [];
  const connections = new McpConnections([nodeServer('growing', growingServer)], {
    logger,
    onDidChange: () => lists.fire(),
    onListChanged: (server, list) => {
      listChanges.push(`${server}:${list}`);
      lists.fire();
    },
  });
  const posted: HostToWebview[] = [];
  const router = new MessageRouter(logger);
  const prompts = new McpPrompts({
    clients: connections,
    startServers: () => connections.ensureStarted(),
    onDidChangeLists: lists.event,
    attach: () => {},
    log: logger as unknown as McpPromptsDeps['log'],
  });
  const registration = prompts.register(router, (m) => posted.push(m));
  const starts = () => logger.lines.filter((l) => l.includes('MCP server "growing" running')).length;
  const promptLists = () =>
    posted
      .filter((m): m is Extract<HostToWebview, { type: 'prompts' }> => typeof m === 'object' && m.type === 'prompts')
      .map((m) => m.prompts.map((p) => p.name));

  before(() => connections.ensureStarted());
  after(async () => {
    registration.dispose();
    await connections.dispose();
  });

  it('offers a prompt the server adds at runtime in the / list, without a reconnect', async () => {
    router.dispatch({ type: 'listPrompts' });
    await waitFor(() => promptLists().length > 0, 10_000, 'the first / list');
    assert.deepEqual(promptLists()[0], ['first']);

    const added = await runTool(connections, { id: 'c1', name: 'add_prompt', arguments: {} });
    assert.equal(added.outcome, 'done', added.content);
    await waitFor(() => listChanges.includes('growing:prompts'), 5000, 'prompts/list_changed');
    await waitFor(() => promptLists().at(-1)?.includes('second') ?? false, 5000, 'a / list with the new prompt');
    assert.deepEqual(promptLists().at(-1), ['first', 'second']);
    assert.equal(starts(), 1, 'the same connection all along');
  });

  it('hears resources/list_changed when the server adds a resource, and the next listing has it', async () => {
    const before = await listResources(connections);
    assert.deepEqual(
      before.resources.map((r) => r.uri),
      ['growing://first'],
    );
    const added = await runTool(connections, { id: 'c2', name: 'add_resource', arguments: {} });
    assert.equal(added.outcome, 'done', added.content);
    await waitFor(() => listChanges.includes('growing:resources'), 5000, 'resources/list_changed');
    const now = await listResources(connections);
    assert.deepEqual(now.resources.map((r) => r.uri).sort(), ['growing://extra', 'growing://first']);
    assert.equal(starts(), 1, 'the same connection all along');
  });
});
