/**
 * MCP elicitation through the host, against a real MCP server over HTTP in this process: the request shows next
 * to the card of the tool call it came during, the user's answer goes back in the protocol's shape (the tool's
 * result echoes it), and Stop, a timeout, or an answer the page makes up do what the user would expect.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import { afterEach, describe, it } from 'node:test';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Elicitations } from '../../src/extension/mcp/elicitation';
import { delay } from '../../src/shared/abort';
import { MessageRouter } from '../../src/extension/view/messageRouter';
import type { ElicitationRequest, HostToWebview, MessageSnapshot, WebviewToHost } from '../../src/shared/protocol';
import { McpConnections } from '../../src/tools/mcp/mcpConnections';
import { McpToolSupport } from '../../src/tools/mcp/mcpToolSupport';
import { ToolCalls } from '../../src/tools/toolCalls';
import { memoryLogger, waitFor } from '../fakes/mcpServers';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const schema = {
  type: 'object' as const,
  properties: { name: { type: 'string' as const, title: 'Name' }, age: { type: 'integer' as const, minimum: 0, default: 36 } },
  required: ['name'],
};

/**
 * A server whose `ask` asks for a form and `visit` for a page, each answering with what it got back; `hang` never
 * answers, nor does `askThenHang` once its form is answered.
 */
async function formServer(): Promise<string> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const servers: Server[] = [];
  const http: HttpServer = createServer(async (req, res) => {
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!transport) {
      const server = new Server({ name: 'forms', version: '1.0.0' }, { capabilities: { tools: {} } });
      server.setRequestHandler(ListToolsRequestSchema, () => ({
        tools: ['ask', 'visit', 'hang', 'askThenHang'].map((name) => ({ name, inputSchema: { type: 'object' as const, properties: {} } })),
      }));
      server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
        const hang = () => new Promise<never>((_, reject) => extra.signal.addEventListener('abort', () => reject(new Error('cancelled'))));
        if (request.params.name === 'hang') return hang();
        if (request.params.name === 'askThenHang') {
          await server.elicitInput({ message: 'Who are you?', requestedSchema: schema });
          return hang();
        }
        const answer =
          request.params.name === 'visit'
            ? await server.elicitInput({ mode: 'url', message: 'Sign in', url: String(request.params.arguments?.url), elicitationId: 'v1' })
            : await server.elicitInput({ message: 'Who are you?', requestedSchema: schema });
        return { content: [{ type: 'text', text: JSON.stringify(answer) }] };
      });
      servers.push(server);
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (sid) => void sessions.set(sid, created),
      });
      await server.connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    await Promise.all(servers.map((s) => s.close()));
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });
  return `http://127.0.0.1:${(http.address() as { port: number }).port}/mcp`;
}

async function setup(options: { timeoutMs?: number; toolTimeoutMs?: number } = {}) {
  const url = await formServer();
  const logger = memoryLogger();
  const posted: HostToWebview[] = [];
  const opened: string[] = [];
  const cards: MessageSnapshot[] = [];
  const elicitations = new Elicitations({
    runningCalls: (server) => support.runningCalls(server),
    openExternal: async (u) => (opened.push(u), true),
    log: logger,
    timeoutMs: options.timeoutMs,
  });
  const connections = new McpConnections([{ name: 'forms', source: 'settings', type: 'http', url, headers: {} }], {
    logger,
    elicit: elicitations.elicit,
  });
  cleanup.push(() => connections.dispose());
  const support: McpToolSupport = new McpToolSupport(connections, {
    approval: () => 'always',
    timeoutMs: () => options.toolTimeoutMs ?? 30_000,
    alwaysAllowed: () => new Set(),
    rememberAlwaysAllowed: () => {},
  });
  const toolCalls = new ToolCalls(support, { added: (item) => cards.push(item), updated: () => {} });
  const router = new MessageRouter(logger);
  const session = { id: 'c1', snapshot: () => ({ messages: cards }) };
  const attachment = elicitations.attach({
    post: (m) => posted.push(m),
    router,
    sessions: { active: session, backgroundIds: () => [], find: () => undefined } as never,
  });
  cleanup.push(async () => attachment.dispose());
  const turn = new AbortController();
  const tools = await support.list(turn.signal);
  const call = (name: string, args: Record<string, unknown> = {}) => toolCalls.run({ name, arguments: args }, tools, turn.signal);
  const requests = () => posted.flatMap((m) => (typeof m !== 'string' && m.type === 'elicitation' ? [m.request] : []));
  const nextRequest = async (n = 1): Promise<ElicitationRequest> => {
    await waitFor(() => requests().length >= n, 5000, 'the request posted to the page');
    return requests()[n - 1];
  };
  const done = () => posted.flatMap((m) => (typeof m !== 'string' && m.type === 'elicitationDone' ? [`${m.id}:${m.action}`] : []));
  const answer = (m: Omit<Extract<WebviewToHost, { type: 'elicitationAnswer' }>, 'type'>) =>
    router.dispatch({ type: 'elicitationAnswer', ...m });
  return { call, nextRequest, answer, done, turn, cards, opened, logger, router, posted, elicitations, session };
}

describe('MCP elicitation in the host', () => {
  it('shows the form next to the card of the call that asked, and returns the values typed (the defaults of the rest added)', async () => {
    const t = await setup();
    const result = t.call('ask');
    const request = await t.nextRequest();
    assert.equal(request.cardId, t.cards[0].id, 'tied to the running call of that server');
    assert.equal(request.conversationId, 'c1');
    assert.equal(request.server, 'forms');
    assert.equal(request.message, 'Who are you?');
    assert.deepEqual(request.requestedSchema, schema);
    t.answer({ id: request.id, action: 'accept', content: { name: 'Grace' } });
    const message = await result;
    assert.deepEqual(JSON.parse(message.content), { action: 'accept', content: { name: 'Grace', age: 36 } });
    assert.deepEqual(t.done(), [`${request.id}:accept`], 'the page is told to close the form');
  });

  it('ignores an answer for no open request, and values that do not fit the schema; Decline declines', async () => {
    const t = await setup();
    const result = t.call('ask');
    const request = await t.nextRequest();
    t.answer({ id: 'not-a-request', action: 'accept', content: { name: 'x' } });
    t.answer({ id: request.id, action: 'accept', content: { name: 'Grace', age: -1 } });
    t.answer({ id: request.id, action: 'accept', content: { age: 3 } });
    t.answer({ id: request.id, action: 'accept', content: { name: 'Grace', admin: true } });
    assert.equal(t.done().length, 0, 'still open');
    assert.deepEqual(
      t.logger.lines
        .filter((l) => /ignored/.test(l))
        .map((l) => l.replace(/^.*\((.*)\).*$/, '$1').replace(/^.*no longer open.*$/, 'not open')),
      ['not open', '"age" is out of bounds', '"name" is required', 'no field "admin"'],
    );
    t.answer({ id: request.id, action: 'decline' });
    assert.deepEqual(JSON.parse((await result).content), { action: 'decline' });
  });

  it('Stop cancels the open form along with the call', async () => {
    const t = await setup();
    const result = t.call('ask');
    const request = await t.nextRequest();
    t.turn.abort();
    const message = await result;
    assert.match(message.content, /cancelled/);
    await waitFor(() => t.done().length > 0, 5000, 'the form closed');
    assert.deepEqual(t.done(), [`${request.id}:cancel`]);
    t.answer({ id: request.id, action: 'accept', content: { name: 'too late' } });
    assert.ok(
      t.logger.lines.some((l) => /no longer open/.test(l)),
      'a late answer goes nowhere',
    );
  });

  it('an unanswered form is cancelled after the timeout, and the tool goes on with that', async () => {
    const t = await setup({ timeoutMs: 200 });
    const result = t.call('ask');
    const request = await t.nextRequest();
    const message = await result;
    assert.deepEqual(JSON.parse(message.content), { action: 'cancel' }, 'the server got "cancel", not "decline"');
    assert.deepEqual(t.done(), [`${request.id}:cancel`]);
  });

  it('an open form holds off the tool’s idle timeout: answered after three times that, the call completes', async () => {
    const t = await setup({ toolTimeoutMs: 300 });
    const started = performance.now();
    const result = t.call('ask');
    const request = await t.nextRequest();
    // The user taking their time is the behaviour under test, not a wait for something to happen.
    await delay(900);
    assert.deepEqual(t.done(), [], 'the form is still open');
    t.answer({ id: request.id, action: 'accept', content: { name: 'Grace' } });
    const message = await result;
    assert.deepEqual(JSON.parse(message.content), { action: 'accept', content: { name: 'Grace', age: 36 } });
    assert.ok(performance.now() - started >= 900);
  });

  it('without a form open the idle timeout fires as before, and restarts whole once the form is answered', async () => {
    const t = await setup({ toolTimeoutMs: 300 });
    const started = performance.now();
    const hung = await t.call('hang');
    const took = performance.now() - started;
    assert.equal(hung.content, 'Error (timeout): The tool "hang" gave no result or progress for 0.3 s and was stopped.');
    assert.ok(took >= 290 && took < 1500, `timed out after ${Math.round(took)} ms`);

    const result = t.call('askThenHang');
    const request = await t.nextRequest();
    await delay(600);
    const answeredAt = performance.now();
    t.answer({ id: request.id, action: 'accept', content: { name: 'Grace' } });
    const message = await result;
    const after = performance.now() - answeredAt;
    assert.equal(message.content, 'Error (timeout): The tool "askThenHang" gave no result or progress for 0.3 s and was stopped.');
    assert.ok(after >= 290 && after < 1500, `timed out ${Math.round(after)} ms after the answer`);
  });

  it('a page to open (URL mode) opens only once the user agrees; a non-web address is declined unseen', async () => {
    const t = await setup();
    const result = t.call('visit', { url: 'https://example.com/sign-in' });
    const request = await t.nextRequest();
    assert.equal(request.url, 'https://example.com/sign-in');
    assert.equal(request.requestedSchema, undefined);
    assert.deepEqual(t.opened, [], 'nothing opened before the user said so');
    t.answer({ id: request.id, action: 'accept' });
    assert.deepEqual(JSON.parse((await result).content), { action: 'accept' });
    assert.deepEqual(t.opened, ['https://example.com/sign-in']);

    const file = await t.call('visit', { url: 'file:///etc/passwd' });
    assert.deepEqual(JSON.parse(file.content), { action: 'decline' });
    assert.equal((await t.nextRequest()).id, request.id, 'no second request shown');
  });

  it('a reloaded view gets the open forms again', async () => {
    const t = await setup();
    const result = t.call('ask');
    const request = await t.nextRequest();
    t.router.dispatch({ type: 'ready' });
    assert.deepEqual((await t.nextRequest(2)).id, request.id);
    t.answer({ id: request.id, action: 'cancel' });
    assert.deepEqual(JSON.parse((await result).content), { action: 'cancel' });
  });
});

/** Two chats (the sidebar and a tab, say), each showing its own conversation, with the same server's tools. */
async function twoChats() {
  const url = await formServer();
  const logger = memoryLogger();
  const elicitations = new Elicitations({
    runningCalls: (server) => support.runningCalls(server),
    openExternal: async () => false,
    log: logger,
  });
  const connections = new McpConnections([{ name: 'forms', source: 'settings', type: 'http', url, headers: {} }], {
    logger,
    elicit: elicitations.elicit,
  });
  cleanup.push(() => connections.dispose());
  const support: McpToolSupport = new McpToolSupport(connections, {
    approval: () => 'always',
    timeoutMs: () => 30_000,
    alwaysAllowed: () => new Set(),
    rememberAlwaysAllowed: () => {},
  });
  const turn = new AbortController();
  const tools = await support.list(turn.signal);
  const chat = (conversationId: string) => {
    const posted: HostToWebview[] = [];
    const cards: MessageSnapshot[] = [];
    const toolCalls = new ToolCalls(support, { added: (item) => cards.push(item), updated: () => {} });
    const router = new MessageRouter(logger);
    const session = { id: conversationId, snapshot: () => ({ messages: cards }) };
    let focused = false;
    const attachment = elicitations.attach({
      post: (m) => posted.push(m),
      router,
      sessions: { active: session, backgroundIds: () => [], find: () => undefined } as never,
      focused: () => focused,
    });
    cleanup.push(async () => attachment.dispose());
    const requests = () => posted.flatMap((m) => (typeof m !== 'string' && m.type === 'elicitation' ? [m.request] : []));
    return {
      cards,
      requests,
      attachment,
      focus: (on: boolean) => void (focused = on),
      call: (name: string) => toolCalls.run({ name, arguments: {} }, tools, turn.signal),
      nextRequest: async (n = 1) => {
        await waitFor(() => requests().length >= n, 5000, `request ${n} posted to chat ${conversationId}`);
        return requests()[n - 1];
      },
      answer: (m: Omit<Extract<WebviewToHost, { type: 'elicitationAnswer' }>, 'type'>) =>
        router.dispatch({ type: 'elicitationAnswer', ...m }),
    };
  };
  return { sidebar: chat('s1'), tab: chat('t1'), logger };
}

describe('MCP elicitation with several chats', () => {
  it('shows the form only in the chat whose call asked, and takes the answer only from that chat', async () => {
    const { sidebar, tab, logger } = await twoChats();
    const result = tab.call('ask');
    const request = await tab.nextRequest();
    assert.equal(request.cardId, tab.cards[0].id);
    assert.equal(request.conversationId, 't1');
    assert.deepEqual(sidebar.requests(), [], 'nothing in the other chat');
    sidebar.answer({ id: request.id, action: 'accept', content: { name: 'Mallory' } });
    assert.ok(
      logger.lines.some((l) => /open in another chat/.test(l)),
      'the other page cannot answer it',
    );
    tab.answer({ id: request.id, action: 'accept', content: { name: 'Grace' } });
    assert.deepEqual(JSON.parse((await result).content), { action: 'accept', content: { name: 'Grace', age: 36 } });
  });

  it('two chats each hold a form; closing one chat cancels its form and leaves the other open', async () => {
    const { sidebar, tab } = await twoChats();
    const first = sidebar.call('ask');
    const inSidebar = await sidebar.nextRequest();
    // Two calls of one server now run: the second request could be either's, so it shows where the user is.
    tab.focus(true);
    const second = tab.call('ask');
    const inTab = await tab.nextRequest();
    assert.equal(inTab.conversationId, 't1');
    assert.equal(sidebar.requests().length, 1, 'the sidebar still shows only its own');
    tab.attachment.dispose();
    assert.deepEqual(JSON.parse((await second).content), { action: 'cancel' }, 'the server is told "cancel"');
    sidebar.answer({ id: inSidebar.id, action: 'accept', content: { name: 'Ada' } });
    assert.deepEqual(JSON.parse((await first).content), { action: 'accept', content: { name: 'Ada', age: 36 } });
  });
});

describe('the page’s answer at the boundary', () => {
  it('is refused unless its shape, types and sizes are those of an answer', async () => {
    const { parseWebviewMessage } = await import('../../src/shared/protocol');
    const ok = (m: unknown) => parseWebviewMessage(m).ok;
    assert.ok(ok({ type: 'elicitationAnswer', id: 'e1', action: 'accept', content: { a: 'x', b: 2, c: true, d: ['x'] } }));
    assert.ok(ok({ type: 'elicitationAnswer', id: 'e1', action: 'cancel' }));
    assert.ok(!ok({ type: 'elicitationAnswer', id: 'e1', action: 'decline', content: { a: 'x' } }), 'values only with accept');
    assert.ok(!ok({ type: 'elicitationAnswer', id: 'e1', action: 'maybe' }));
    assert.ok(!ok({ type: 'elicitationAnswer', id: 5, action: 'accept' }));
    assert.ok(!ok({ type: 'elicitationAnswer', id: 'e1', action: 'accept', content: { a: { nested: 1 } } }));
    assert.ok(!ok({ type: 'elicitationAnswer', id: 'e1', action: 'accept', content: { a: Number.NaN } }));
    assert.ok(!ok({ type: 'elicitationAnswer', id: 'e1', action: 'accept', content: { a: [1] } }));
    assert.ok(!ok({ type: 'elicitationAnswer', id: 'e1', action: 'accept', content: { a: 'x'.repeat(100_001) } }));
    assert.ok(
      !ok({
        type: 'elicitationAnswer',
        id: 'e1',
        action: 'accept',
        content: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`f${i}`, 1])),
      }),
    );
  });
});
