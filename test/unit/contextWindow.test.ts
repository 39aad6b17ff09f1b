/**
 * The real context size (issue #17, points 1 and 2): each server's own figure parsed from its documented
 * shape, the num_ctx sent to Ollama, and the note when the server saw fewer prompt tokens than were sent.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { HostToWebview } from '../../src/shared/protocol';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import { checkPrompt, estimatePromptTokens, modelKey } from '../../src/streaming/chat/contextBudget';
import type { SessionConfig } from '../../src/streaming/chat/sessionTypes';
import { llamaCppContext, listedContext, ollamaLoadedContext, ollamaMaxContext } from '../../src/streaming/providers/contextWindow';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { chooseNumCtx } from '../../src/streaming/providers/ollama/numCtx';
import { OllamaProvider } from '../../src/streaming/providers/ollama/ollamaProvider';
import { FakeOllama } from '../fakes/ollamaServer';
import { readBody } from '../fakes/loopbackServer';

const silent = { info() {}, warn() {}, error() {} };

describe('context figures as each server reports them', () => {
  it('Ollama /api/show: <general.architecture>.context_length', () => {
    const show = { model_info: { 'general.architecture': 'qwen3', 'qwen3.context_length': 40960, 'qwen3.embedding_length': 2560 } };
    assert.equal(ollamaMaxContext(show), 40960);
    assert.equal(ollamaMaxContext({ model_info: {} }), undefined);
    assert.equal(ollamaMaxContext({ model_info: { 'general.architecture': 'x', 'llama.context_length': 8192 } }), 8192);
  });

  it('Ollama /api/ps: the running copy’s context_length, matched by name (":latest" implied)', () => {
    const ps = {
      models: [
        { name: 'qwen3:latest', model: 'qwen3:latest', context_length: 16384 },
        { name: 'other', context_length: 4096 },
      ],
    };
    assert.equal(ollamaLoadedContext(ps, 'qwen3'), 16384);
    assert.equal(ollamaLoadedContext(ps, 'qwen3:latest'), 16384);
    assert.equal(ollamaLoadedContext(ps, 'missing'), undefined);
    assert.equal(ollamaLoadedContext({ models: [] }, 'qwen3'), undefined);
  });

  it('llama.cpp /props: default_generation_settings.n_ctx, or a top-level n_ctx on other versions', () => {
    assert.equal(llamaCppContext({ default_generation_settings: { n_ctx: 4096 }, total_slots: 2 }), 4096);
    assert.equal(llamaCppContext({ n_ctx: 2048 }), 2048);
    assert.equal(llamaCppContext({ error: 'nope' }), undefined);
  });

  it('vLLM max_model_len, LM Studio loaded/max_context_length, OpenRouter context_length in model lists', () => {
    assert.deepEqual(listedContext({ data: [{ id: 'm', max_model_len: 32768 }] }, 'm'), { loaded: 32768, max: 32768 });
    assert.deepEqual(listedContext({ data: [{ id: 'a', loaded_context_length: 4096, max_context_length: 131072 }, { id: 'b' }] }, 'a'), {
      loaded: 4096,
      max: 131072,
    });
    assert.deepEqual(listedContext({ data: [{ id: 'x/y', context_length: 200000 }] }, 'x/y'), { max: 200000 });
    assert.equal(listedContext({ data: [{ id: 'a' }, { id: 'b' }] }, 'c'), undefined);
  });
});

describe('num_ctx for Ollama', () => {
  it('fits the conversation in powers of two, bounded by the setting and the model maximum', () => {
    assert.equal(chooseNumCtx({ estimate: 500, setting: 32768 }), 4096);
    assert.equal(chooseNumCtx({ estimate: 5000, setting: 32768 }), 8192);
    assert.equal(chooseNumCtx({ estimate: 20000, setting: 32768 }), 32768);
    assert.equal(chooseNumCtx({ estimate: 20000, setting: 16384 }), 16384, 'never above the user’s setting');
    assert.equal(chooseNumCtx({ estimate: 20000, setting: 65536, max: 8192 }), 8192, 'never above the model’s maximum');
    assert.equal(chooseNumCtx({ setting: 8192 }), 8192, 'without an estimate, the setting as before');
  });

  it('keeps the loaded context while the prompt fits it (another value would reload the model)', () => {
    assert.equal(chooseNumCtx({ estimate: 1000, setting: 32768, loaded: 16384 }), 16384);
    assert.equal(chooseNumCtx({ estimate: 15000, setting: 32768, loaded: 16384 }), 32768, 'outgrown: the next size');
  });
});

describe('silent truncation', () => {
  it('OpenAI-style usage far under the estimate is a cut; near it is a measurement that calibrates', () => {
    const key = modelKey('http://t1', 'm');
    assert.deepEqual(checkPrompt(key, 40_000, { promptTokens: 2048 }), { seen: 2048, sent: 10_000 });
    assert.equal(checkPrompt(key, 40_000, { promptTokens: 12_000 }), undefined);
    // Learned: 40,000 characters were 12,000 tokens, so the next estimate is in those tokens.
    assert.equal(estimatePromptTokens(key, 40_000), 12_000);
  });

  it('Ollama: a small prompt_eval_count on a later turn is the prompt cache, not a cut; a prompt over num_ctx is', () => {
    const key = modelKey('http://t2', 'm');
    // 40,000 characters (about 10,000 tokens) sent with num_ctx 16384, 300 evaluated: the rest came from the cache.
    assert.equal(checkPrompt(key, 40_000, { promptTokens: 300, promptEvaluatedOnly: true, contextTokens: 16384 }), undefined);
    // The same prompt with num_ctx 4096: Ollama kept only its end.
    assert.deepEqual(checkPrompt(key, 40_000, { promptTokens: 4000, promptEvaluatedOnly: true, contextTokens: 4096 }), {
      seen: 4000,
      sent: 10_000,
    });
  });
});

/** The fake Ollama, plus /api/show's model_info and /api/ps as a real server has them. */
class ContextOllama extends FakeOllama {
  maxContext = 32768;
  loaded: number | undefined;
  promptEvalCount = 26;
  protected override async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/api/ps') {
      const models = this.loaded ? [{ name: 'test-model:latest', model: 'test-model:latest', context_length: this.loaded }] : [];
      return this.send(res, { models });
    }
    if (path === '/api/show') {
      await readBody(req);
      return this.send(res, {
        model_info: { 'general.architecture': 'llama', 'llama.context_length': this.maxContext },
        capabilities: ['completion'],
      });
    }
    return super.handle(req, res);
  }
  private send(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}

describe('ChatSession with an Ollama that reports its context', () => {
  const server = new ContextOllama();
  let posted: HostToWebview[];
  let config: SessionConfig;
  let session: ChatSession;
  before(() => server.start());
  after(() => server.stop());
  beforeEach(() => {
    server.requests.length = 0;
    server.loaded = undefined;
    posted = [];
    config = {
      endpoint: { name: 'Local', type: 'ollama', url: server.url },
      model: 'test-model:latest',
      maxUpdatesPerSecond: 20,
      contextTokens: 16384,
    };
    server.onChat = (body) => ({
      steps: [
        JSON.stringify({ model: body.model, message: { role: 'assistant', content: 'Sure.' }, done: false }) + '\n',
        JSON.stringify({
          model: body.model,
          message: { role: 'assistant', content: '' },
          done: true,
          done_reason: 'stop',
          prompt_eval_count: server.promptEvalCount,
          eval_count: 2,
          eval_duration: 1e8,
        }) + '\n',
      ],
    });
    const provider = (e: Parameters<typeof createProvider>[0]) => createProvider(e, undefined, { numCtx: config.contextTokens });
    session = new ChatSession({ config: () => config, providerFor: provider, post: (m) => posted.push(m), log: silent });
  });

  it('reads the model’s maximum and the loaded context, and sends a num_ctx that fits', async () => {
    const provider = new OllamaProvider(server.url);
    server.loaded = 8192;
    assert.deepEqual(await provider.contextWindow('test-model:latest'), { loaded: 8192, max: 32768, source: 'Ollama /api/show, /api/ps' });
    session.send('Hello there');
    await session.idle();
    // A short conversation fits the 8,192 the model is loaded with: that is sent, so Ollama does not reload it.
    assert.equal(server.chatRequests[0].body.options.num_ctx, 8192);
    // The meter's 100 %: the setting (16,384) bounded by the model's maximum (32,768).
    assert.equal(session.contextLimit, 16384);
    assert.equal(posted.filter((m) => typeof m !== 'string' && m.type === 'note').length, 0, 'no truncation note');
  });

  it('a conversation bigger than the num_ctx sent gets the truncation note, with Raise the context and Compact', async () => {
    config.contextTokens = 4096;
    config.autoCompact = false;
    server.promptEvalCount = 4000;
    session.send('x'.repeat(30_000));
    await session.idle();
    assert.equal(server.chatRequests[0].body.options.num_ctx, 4096);
    const note = posted.find((m): m is Extract<HostToWebview, { type: 'note' }> => typeof m !== 'string' && m.type === 'note');
    assert.ok(note, 'a note was posted');
    assert.equal(note.note.seen, 4000);
    assert.ok(note.note.sent >= 7000, `sent ${note.note.sent}`);
    assert.deepEqual(
      note.note.actions.map((a) => a.kind),
      ['openSettings', 'compact'],
    );
    assert.equal(session.noteAction(note.id, 1)?.kind, 'compact');
  });
});
