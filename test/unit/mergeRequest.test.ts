/**
 * Apply's "Ask the model to merge" (issue 18): the side request to the chat's endpoint and model, against the
 * scripted Ollama and OpenAI-compatible servers through the real clients.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createProvider } from '../../src/streaming/providers/createProvider';
import type { EndpointConfig } from '../../src/streaming/providers/provider';
import { askModelToMerge, fencedCode, MERGE_LIMITS, type MergeInput } from '../../src/streaming/chat/mergeRequest';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';
import { answerLines as openaiLines, FakeOpenAI } from '../fakes/openaiServer';

const CURRENT = 'export function a() {\n  return 1;\n}\n\nexport function b() {\n  return 2;\n}\n';
const BLOCK = 'export function b() {\n  return 3;\n}\n';
const MERGED = 'export function a() {\n  return 1;\n}\n\nexport function b() {\n  return 3;\n}\n';
const input: MergeInput = { path: 'src/ab.ts', current: CURRENT, block: BLOCK };
const reply = `Here is the merged file:\n\n\`\`\`ts\n${MERGED}\`\`\`\n\nOnly \`b\` changed, e.g.\n\`\`\`ts\nb()\n\`\`\`\n`;
/** Splits `text` into streamed tokens of a few characters, as a model sends them. */
const tokens = (text: string) => text.match(/[\s\S]{1,7}/g) ?? [];

describe('askModelToMerge', { timeout: 30_000 }, () => {
  const ollama = new FakeOllama();
  const openai = new FakeOpenAI();
  const ollamaEndpoint = (): EndpointConfig => ({ name: 'Local', type: 'ollama', url: ollama.url });
  before(async () => {
    await ollama.start();
    await openai.start();
  });
  after(async () => {
    await ollama.stop();
    await openai.stop();
  });
  beforeEach(() => {
    ollama.requests.length = 0;
    openai.reset();
  });

  it('sends the file and the block to the configured model, outside any conversation, and returns its code block', async () => {
    ollama.onChat = (body) => ({ steps: answerLines(body.model, tokens(reply)) });
    const answer = await askModelToMerge(
      { config: () => ({ endpoint: ollamaEndpoint(), model: 'coder' }), providerFor: createProvider },
      input,
      new AbortController().signal,
    );
    assert.deepEqual(answer, { ok: true, text: MERGED, model: 'coder' });
    const [request] = ollama.chatRequests;
    assert.equal(request.body.model, 'coder');
    assert.equal(request.body.tools, undefined);
    assert.equal(request.body.messages.length, 2);
    assert.equal(request.body.messages[0].role, 'system');
    assert.ok(request.body.messages[1].content.includes(CURRENT) && request.body.messages[1].content.includes(BLOCK));
  });

  it('uses the endpoint’s first model when none is configured (OpenAI-compatible server)', async () => {
    openai.models = ['served-model'];
    openai.onChat = (body) => ({ steps: openaiLines(body.model, tokens(reply)) });
    const endpoint: EndpointConfig = { name: 'llama.cpp', type: 'openai', url: openai.url };
    const answer = await askModelToMerge(
      { config: () => ({ endpoint }), providerFor: (e) => createProvider(e) },
      input,
      new AbortController().signal,
    );
    assert.deepEqual(answer, { ok: true, text: MERGED, model: 'served-model' });
    assert.equal(openai.chatRequests[0].body.model, 'served-model');
  });

  it('Cancel closes the request while the model is still writing', async () => {
    ollama.onChat = (body) => ({ steps: answerLines(body.model, ['```ts\n', 'export']).slice(0, 2), hang: true });
    const cancel = new AbortController();
    const pending = askModelToMerge(
      { config: () => ({ endpoint: ollamaEndpoint(), model: 'coder' }), providerFor: createProvider },
      input,
      cancel.signal,
    );
    await ollama.until(() => ollama.chatRequests.length === 1);
    cancel.abort();
    const answer = await pending;
    assert.deepEqual(answer, { ok: false, reason: 'The merge was cancelled.', cancelled: true });
    await ollama.until(() => ollama.closed.some((c) => c.path === '/api/chat'));
  });

  it('is size-capped: a file too large is not sent, and a reply that grows past the cap is cut off', async () => {
    const limits = { ...MERGE_LIMITS, maxInputChars: CURRENT.length + BLOCK.length, maxAnswerChars: 300 };
    const deps = { config: () => ({ endpoint: ollamaEndpoint(), model: 'coder' }), providerFor: createProvider };
    const big = await askModelToMerge(deps, { ...input, current: `${CURRENT} ` }, new AbortController().signal, limits);
    assert.equal(big.ok, false);
    assert.match((big as { reason: string }).reason, /too large/);
    assert.equal(ollama.chatRequests.length, 0);

    ollama.onChat = (body) => ({
      steps: answerLines(
        body.model,
        Array.from({ length: 100 }, () => 'y'.repeat(10)),
      ),
      hang: true,
    });
    const long = await askModelToMerge(deps, input, new AbortController().signal, limits);
    assert.equal(long.ok, false);
    assert.match((long as { reason: string }).reason, /grew past/);
    await ollama.until(() => ollama.closed.some((c) => c.path === '/api/chat'));
  });

  it('says so when the reply has no code block, or the server fails', async () => {
    const deps = { config: () => ({ endpoint: ollamaEndpoint(), model: 'coder' }), providerFor: createProvider };
    ollama.onChat = (body) => ({ steps: answerLines(body.model, ['I cannot tell where it goes.']) });
    assert.deepEqual(await askModelToMerge(deps, input, new AbortController().signal), {
      ok: false,
      reason: "The model's reply has no code block.",
    });
    ollama.onChat = () => ({ status: 404, error: "model 'coder' not found" });
    const failed = await askModelToMerge(deps, input, new AbortController().signal);
    assert.equal(failed.ok, false);
    assert.match((failed as { reason: string }).reason, /coder/);
  });
});

describe('fencedCode', () => {
  it('takes the longest fenced block, as CommonMark reads it (a longer fence holds ``` lines)', () => {
    assert.equal(fencedCode('````md\na\n```\nb\n```\n````\nand ```x```'), 'a\n```\nb\n```\n');
    assert.equal(fencedCode('no code'), undefined);
  });
});
