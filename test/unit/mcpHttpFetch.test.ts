/**
 * cappedMcpFetch byte by byte: where an SSE event ends (LF, CR, CRLF split across chunks, a blank line), what a
 * call gets when its event is cut wherever the chunks fall, the whole-body cap of JSON, and a
 * notifications/cancelled closing the response of the request it names.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cappedMcpFetch, isMessageTooLarge } from '../../src/tools/mcp/mcpHttpFetch';

const MAX = 100;
const enc = new TextEncoder();

/** A base fetch whose response body is `chunks`, as given (then never ends, when endless); records the first request's signal. */
function fakeBase(chunks: string[], contentType: string, endless = false) {
  const seen: { signal?: AbortSignal } = {};
  let first = true;
  const base = async (_input: string | URL, init?: RequestInit) => {
    if (first) seen.signal = init?.signal ?? undefined;
    first = false;
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (i < chunks.length) c.enqueue(enc.encode(chunks[i++]));
        else if (endless) return new Promise<void>(() => {});
        else c.close();
      },
    });
    return new Response(body, { headers: { 'content-type': contentType } });
  };
  return { base, seen };
}

const call = (id: number) => ({ method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: {} }) });

/** The events the SDK's parser would see: type and data of each, by the spec's rules (enough of them for this). */
function events(text: string): { event: string; data: string }[] {
  const out: { event: string; data: string }[] = [];
  let event = '';
  let data: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (data.length) out.push({ event: event || 'message', data: data.join('\n') });
      event = '';
      data = [];
    } else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    else if (line.startsWith('event:')) event = line.slice(6).trim();
  }
  return out;
}

async function read(chunks: string[], endless = false): Promise<{ text: string; error?: unknown }> {
  const { base } = fakeBase(chunks, 'text/event-stream', endless);
  const response = await cappedMcpFetch(base, 'srv', MAX)('http://x/mcp', call(7));
  try {
    return { text: await response.text() };
  } catch (error) {
    return { text: '', error };
  }
}

describe('cappedMcpFetch', () => {
  it('passes events whose sum is far over the cap, each under it, with any line ends', async () => {
    const event = (n: number, end: string) => `data: ${'a'.repeat(60)}${n}${end}${end}`;
    const chunks = [event(1, '\n'), event(2, '\r\n'), event(3, '\r'), 'data: split\r', '\n\r', '\ndata: ', 'x'.repeat(80), '\n\n'];
    const { text, error } = await read(chunks);
    assert.equal(error, undefined);
    assert.equal(text, chunks.join(''));
    assert.equal(events(text).length, 5);
  });

  // The cut falls at every offset: its own line end must never make a blank line that dispatches the partial event.
  const whole = `event: message\ndata: {"partial":\n${'data: xxxxxxxxx\n'.repeat(20)}`;
  const splits: [string, string[]][] = [['one line each', whole.split(/(?<=\n)/)]];
  for (let size = 1; size < 40; size += 3) splits.push([`${size} bytes each`, whole.match(new RegExp(`[^]{1,${size}}`, 'g'))!]);
  for (const [how, chunks] of splits) {
    it(`cuts an event over the cap and answers the call with an error (chunks of ${how})`, async () => {
      const { text } = await read(chunks, true);
      const got = events(text);
      assert.equal(got.filter((e) => e.event === 'message').length, 1, text.slice(-200));
      const answer = JSON.parse(got.find((e) => e.event === 'message')!.data);
      assert.equal(answer.id, 7);
      assert.match(answer.error.message, /MCP server "srv" sent one event over 100 bytes/);
      assert.ok(isMessageTooLarge({ data: answer.error.data }));
    });
  }

  it('errors a JSON body over the cap, and aborts the request', async () => {
    const { base, seen } = fakeBase(['{"a":"', 'x'.repeat(60), 'x'.repeat(60)], 'application/json');
    const response = await cappedMcpFetch(base, 'srv', MAX)('http://x/mcp', call(1));
    await assert.rejects(response.json(), (e) => isMessageTooLarge(e) && /srv.*100 bytes/.test((e as Error).message));
    assert.equal(seen.signal?.aborted, true);
  });

  it('a notifications/cancelled for a call ends that call’s response and aborts its request', async () => {
    const { base, seen } = fakeBase(['data: 1\n\n'], 'text/event-stream', true);
    const fetch = cappedMcpFetch(base, 'srv', MAX);
    const response = await fetch('http://x/mcp', call(3));
    const reader = response.body!.getReader();
    await reader.read();
    const cancelled = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3 } };
    await fetch('http://x/mcp', { method: 'POST', body: JSON.stringify(cancelled) });
    assert.equal(seen.signal?.aborted, true);
    let done = false;
    while (!done) done = (await reader.read()).done;
  });
});
