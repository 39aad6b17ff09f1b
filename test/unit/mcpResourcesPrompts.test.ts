/**
 * Resources and prompts of the published reference server @modelcontextprotocol/server-everything, through the
 * project's own client code (McpConnections, resources.ts, prompts.ts): listing, reading text and blobs, binary
 * refused, prompts filled in with arguments and embedded resources, and the list_changed notifications it sends
 * when a tool registers a resource or when its tools change after the handshake.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import { listResources, readResourceText, resourceAttachment } from '../../src/tools/mcp/resources';
import { getPrompt, listPrompts } from '../../src/tools/mcp/prompts';
import { runTool } from '../../src/tools/mcp/toolRunner';
import { everythingBin, memoryLogger, nodeServer, waitFor } from '../fakes/mcpServers';
import { McpPrompts, type McpPromptsDeps } from '../../src/extension/mcp/mcpPrompts';
import { MessageRouter } from '../../src/extension/view/messageRouter';
import { Emitter } from '../../src/shared/event';
import { parseWebviewMessage, type HostToWebview } from '../../src/shared/protocol';

describe('server-everything resources and prompts', () => {
  const logger = memoryLogger();
  const listChanges: string[] = [];
  let changes = 0;
  const connections = new McpConnections([nodeServer('everything', everythingBin())], {
    logger,
    onDidChange: () => changes++,
    onListChanged: (server, list) => listChanges.push(`${server}:${list}`),
    // Declaring elicitation makes the server register more tools once initialized (tools/list_changed).
    elicit: async () => ({ action: 'decline' }),
  });
  before(() => connections.ensureStarted());
  after(() => connections.dispose());

  it('lists the static documents and the two templates', async () => {
    const { resources, templates, problems } = await listResources(connections);
    assert.deepEqual(problems, []);
    const features = resources.find((r) => r.name === 'features.md');
    assert.equal(features?.server, 'everything');
    assert.equal(features?.uri, 'demo://resource/static/document/features.md');
    assert.equal(features?.mimeType, 'text/markdown');
    assert.deepEqual(templates.map((t) => t.uriTemplate).sort(), [
      'demo://resource/dynamic/blob/{resourceId}',
      'demo://resource/dynamic/text/{resourceId}',
    ]);
  });

  it('reads a text resource into an attachment that names the server', async () => {
    const read = await readResourceText(connections, 'everything', 'demo://resource/static/document/features.md');
    assert.ok(read.ok, read.ok ? '' : read.reason);
    const attachment = resourceAttachment(read.resource, 'features.md');
    assert.equal(attachment.kind, 'resource');
    assert.equal(attachment.label, 'everything: features.md');
    assert.match(
      attachment.text,
      /^Resource from MCP server "everything": demo:\/\/resource\/static\/document\/features\.md \(text\/markdown\)\n```+markdown\n/,
    );
    assert.match(attachment.text, /# Everything Server - Features/);
    assert.ok(attachment.tokens > 10);
    // Cut like a file when long, with the note on the chip.
    const short = resourceAttachment(read.resource, 'features.md', 200);
    assert.match(short.note ?? '', /^first \d+ of \d+ lines$/);
    assert.ok(short.text.length < 400);
  });

  it('decodes a text blob and refuses a binary one', async () => {
    const blob = await readResourceText(connections, 'everything', 'demo://resource/dynamic/blob/7');
    assert.ok(blob.ok);
    assert.match(blob.resource.parts[0].text, /^Resource 7: This is a base64 blob created at /);
    const tooBig = await readResourceText(connections, 'everything', 'demo://resource/dynamic/blob/7', { knownSize: 9 * 1024 * 1024 });
    assert.equal(tooBig.ok, false);
    const missing = await readResourceText(connections, 'everything', 'demo://resource/nowhere');
    assert.equal(missing.ok, false);
    assert.match(missing.ok ? '' : missing.reason, /could not be read from MCP server "everything"/);
  });

  it('a cancelled read rejects at once', async () => {
    const controller = new AbortController();
    const read = readResourceText(connections, 'everything', 'demo://resource/static/document/features.md', { signal: controller.signal });
    controller.abort();
    await assert.rejects(read);
  });

  it('lists prompts with their arguments and fills them in', async () => {
    const { prompts, problems } = await listPrompts(connections);
    assert.deepEqual(problems, []);
    const args = prompts.find((p) => p.name === 'args-prompt');
    assert.deepEqual(args?.arguments, [
      { name: 'city', description: 'Name of the city', required: true },
      // zod's .optional() drops the description in the SDK's listing: what the server sends.
      { name: 'state' },
    ]);
    assert.ok(prompts.some((p) => p.name === 'simple-prompt' && p.arguments.length === 0));
    const filled = await getPrompt(connections, 'everything', 'args-prompt', { city: 'Lisbon' });
    assert.equal(filled.text, "What's weather in Lisbon?");
    assert.deepEqual(filled.attachments, []);
  });

  it('puts a prompt’s embedded resource in a chip, not in the text', async () => {
    const filled = await getPrompt(connections, 'everything', 'resource-prompt', { resourceType: 'Text', resourceId: '3' });
    assert.equal(filled.text, 'This prompt includes the Text resource with id: 3. Please analyze the following resource:');
    assert.equal(filled.attachments.length, 1);
    assert.equal(filled.attachments[0].label, 'everything: 3');
    assert.match(filled.attachments[0].text, /Resource 3: This is a plaintext resource created at/);
    await assert.rejects(
      getPrompt(connections, 'everything', 'resource-prompt', { resourceType: 'Video', resourceId: '3' }),
      /could not give the prompt/,
    );
  });

  it('a tool result’s resource links and embedded resources reach the card as links that can be read', async () => {
    const result = await runTool(connections, { name: 'get-resource-links', arguments: { count: 2 } });
    assert.deepEqual(result.links, [
      { uri: 'demo://resource/dynamic/blob/1', name: 'Blob Resource 1', mimeType: 'text/plain' },
      { uri: 'demo://resource/dynamic/text/2', name: 'Text Resource 2', mimeType: 'text/plain' },
    ]);
    assert.match(result.content, /\[resource Text Resource 2: demo:\/\/resource\/dynamic\/text\/2\]/);
    const read = await readResourceText(connections, 'everything', result.links![1].uri);
    assert.ok(read.ok && /^Resource 2: This is a plaintext resource/.test(read.resource.parts[0].text));
    const embedded = await runTool(connections, { name: 'get-resource-reference', arguments: { resourceType: 'Text', resourceId: 4 } });
    assert.deepEqual(embedded.links, [{ uri: 'demo://resource/dynamic/text/4', name: '4', mimeType: 'text/plain' }]);
  });

  it('refreshes its tools after tools/list_changed, without a restart', async () => {
    // The server registers its conditional tools right after the handshake, each with a tools/list_changed.
    await waitFor(() => logger.lines.some((l) => l.includes('"everything" changed its tools')), 5000, 'a tools refresh');
    assert.ok(connections.findTool('trigger-elicitation-request'));
  });

  it('hears resources/list_changed when a tool registers a resource, and the next listing has it', async () => {
    const before = (await listResources(connections)).resources.length;
    const data = `data:text/plain;base64,${Buffer.from('hello resources').toString('base64')}`;
    const result = await runTool(connections, { name: 'gzip-file-as-resource', arguments: { name: 'hello.gz', data } });
    assert.equal(result.ok, true, result.content);
    await waitFor(() => listChanges.includes('everything:resources'), 5000, 'resources/list_changed');
    const after = await listResources(connections);
    assert.equal(after.resources.length, before + 1);
    const gz = after.resources.find((r) => r.name === 'hello.gz');
    assert.equal(gz?.uri, 'demo://resource/session/hello.gz');
    const read = await readResourceText(connections, 'everything', gz!.uri);
    assert.equal(read.ok, false, 'gzip bytes are binary');
    assert.match(read.ok ? '' : read.reason, /is binary \(application\/gzip\)/);
    assert.ok(changes > 0);
  });
});

describe('the / menu host side (McpPrompts) with server-everything', () => {
  const logger = memoryLogger();
  const lists = new Emitter<void>();
  const connections = new McpConnections([nodeServer('everything', everythingBin())], {
    logger,
    onDidChange: () => lists.fire(),
    onListChanged: () => lists.fire(),
  });
  const posted: HostToWebview[] = [];
  const attached: string[] = [];
  const router = new MessageRouter(logger);
  const prompts = new McpPrompts({
    clients: connections,
    startServers: () => connections.ensureStarted(),
    onDidChangeLists: lists.event,
    attach: (items) => attached.push(...items.map((i) => `${i.id} ${i.attachment.label}`)),
    log: logger as unknown as McpPromptsDeps['log'],
  });
  const registration = prompts.register(router, (m) => posted.push(m));
  after(async () => {
    registration.dispose();
    await connections.dispose();
  });
  const ofType = <T extends string>(type: T) =>
    posted.filter((m): m is Extract<HostToWebview, { type: T }> => typeof m === 'object' && m.type === type);

  it('starts the servers for `/`, sends their prompts, and sends them again when a server changes', async () => {
    router.dispatch({ type: 'listPrompts' });
    await waitFor(() => ofType('prompts').length > 0, 10_000, 'the prompts');
    assert.deepEqual(
      ofType('prompts')[0].prompts.map((p) => p.name),
      ['args-prompt', 'completable-prompt', 'resource-prompt', 'simple-prompt'],
    );
    const sent = ofType('prompts').length;
    await connections.restart('everything');
    // While it is down the list is empty (what it can offer then); once it is back, its prompts come again.
    await waitFor(
      () => ofType('prompts').length > sent && ofType('prompts').at(-1)!.prompts.length === 4,
      5000,
      'the prompts after a restart',
    );
    assert.ok(ofType('prompts').length <= sent + 3, 'a burst of state changes is one listing or a few, not one each');
  });

  it('fills in a chosen prompt: its text for the box, its embedded resource as a chip', async () => {
    router.dispatch({
      type: 'usePrompt',
      server: 'everything',
      name: 'resource-prompt',
      arguments: { resourceType: 'Text', resourceId: '5' },
    });
    await waitFor(() => ofType('promptFilled').length > 0, 5000, 'the filled prompt');
    assert.equal(
      ofType('promptFilled')[0].text,
      'This prompt includes the Text resource with id: 5. Please analyze the following resource:',
    );
    assert.deepEqual(attached, ['mcp-prompt:everything:resource-prompt:0 everything: 5']);
  });

  it('says why when the server refuses the arguments', async () => {
    router.dispatch({
      type: 'usePrompt',
      server: 'everything',
      name: 'resource-prompt',
      arguments: { resourceType: 'Video', resourceId: '5' },
    });
    await waitFor(() => ofType('notice').length > 0, 5000, 'the notice');
    assert.match(ofType('notice')[0].text, /^MCP server "everything" could not give the prompt "resource-prompt": .*Invalid resourceType/);
  });

  it('the page’s messages for prompts and resources are checked at the boundary', () => {
    assert.equal(parseWebviewMessage({ type: 'usePrompt', server: 's', name: 'p', arguments: { a: 'b' } }).ok, true);
    assert.equal(parseWebviewMessage({ type: 'usePrompt', server: 's', name: 'p', arguments: { a: 1 } }).ok, false);
    assert.equal(parseWebviewMessage({ type: 'usePrompt', server: 's', name: 'p' }).ok, false);
    assert.equal(parseWebviewMessage({ type: 'attachResource', server: 's', uri: 'demo://x', name: 'x' }).ok, true);
    assert.equal(parseWebviewMessage({ type: 'openResource', server: 's', uri: 'x'.repeat(9000) }).ok, false);
  });
});
