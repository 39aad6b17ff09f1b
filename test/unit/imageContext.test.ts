import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ImageInput } from '../../src/shared/protocol';
import { OLLAMA_IMAGE_TOKENS } from '../../src/shared/images';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import { charsPerToken, checkPrompt, estimatePromptTokens, modelKey, promptImageTokens } from '../../src/streaming/chat/contextBudget';
import { historyImageTokens } from '../../src/streaming/chat/sessionImages';
import type { SessionConfig } from '../../src/streaming/chat/sessionTypes';
import type { ChatMessage } from '../../src/streaming/providers/provider';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { answerLines, FakeOllama } from '../fakes/ollamaServer';

const silent = { info() {}, warn() {}, error() {} };
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const image = (width = 1, height = 1): ImageInput => ({
  mimeType: 'image/png',
  data: PNG,
  width,
  height,
  thumb: `data:image/png;base64,${PNG}`,
});

describe('the token estimate counts images', () => {
  const messages: ChatMessage[] = [
    { role: 'system', content: 'Be brief.' },
    {
      role: 'user',
      content: 'x'.repeat(400),
      images: [
        { mimeType: 'image/png', data: PNG, width: 1024, height: 1024 },
        { mimeType: 'image/png', data: PNG },
      ],
    },
  ];

  it('adds each image at the chips’ per-provider cost to the text’s tokens', () => {
    assert.equal(
      promptImageTokens(messages, 'openai'),
      765 + OLLAMA_IMAGE_TOKENS,
      '1024 px at OpenAI’s tile rule; no size: the fixed cost',
    );
    assert.equal(promptImageTokens(messages, 'ollama'), 2 * OLLAMA_IMAGE_TOKENS);
    assert.equal(promptImageTokens([{ role: 'user', content: 'no images' }], 'ollama'), 0);
    const key = modelKey('http://estimate.test', 'm');
    assert.equal(estimatePromptTokens(key, 400, 2 * OLLAMA_IMAGE_TOKENS), 100 + 1152);
  });

  it('does not learn the text’s ratio from a count that includes images, nor call their odd count a cut (OpenAI-style usage)', () => {
    const withImages = modelKey('http://calibration.test', 'vision');
    const chars = 4000; // 1000 tokens at the shared four characters a token
    // The server counts 1000 text tokens and 4 images at 256 each (gemma-style), well under the 4 × 765 estimated.
    assert.equal(checkPrompt(withImages, chars, { promptTokens: 1000 + 4 * 256 }, 4 * 765), undefined, 'no false cut');
    assert.equal(charsPerToken(withImages), 4, 'nothing learned from a prompt with images');
    // What the old estimate (images unseen) would have done with the same count: learned 4000 / 2024 ≈ 2 characters a token.
    const blind = modelKey('http://calibration.test', 'blind');
    checkPrompt(blind, chars, { promptTokens: 1000 + 4 * 256 });
    assert.ok(charsPerToken(blind) < 2.5, `blind calibration is skewed (${charsPerToken(blind)})`);
    // A text-only prompt still calibrates, and a real cut of the text is still seen.
    assert.equal(checkPrompt(withImages, chars, { promptTokens: 800 }), undefined);
    assert.equal(charsPerToken(withImages), 5);
    assert.deepEqual(checkPrompt(withImages, chars, { promptTokens: 300 }, 765), { seen: 300, sent: 800 + 765 });
  });

  it('notes a cut when text and images together outgrow the num_ctx Ollama ran with', () => {
    const usage = { promptTokens: 2000, promptEvaluatedOnly: true, contextTokens: 2048 };
    assert.equal(checkPrompt(modelKey('http://ollama-cut.test', 'text'), 400, usage), undefined, 'the text alone fits');
    const key = modelKey('http://ollama-cut.test', 'llava');
    assert.deepEqual(checkPrompt(key, 400, usage, 4 * OLLAMA_IMAGE_TOKENS), { seen: 2000, sent: 100 + 2304 });
  });
});

describe('an image-heavy conversation against the fake Ollama server', () => {
  const server = new FakeOllama();
  let config: SessionConfig;
  before(() => server.start());
  after(() => server.stop());
  beforeEach(() => {
    server.requests.length = 0;
    server.models = [{ name: 'llava:latest' }];
    server.capabilities.set('llava:latest', ['completion', 'vision']);
    server.onChat = (body) => ({ steps: answerLines(body.model, ['Seen.']) });
    config = {
      endpoint: { name: 'Local', type: 'ollama', url: server.url },
      model: 'llava:latest',
      maxUpdatesPerSecond: 50,
      contextTokens: 3000,
    };
  });
  const session = () => new ChatSession({ config: () => config, providerFor: createProvider, post: () => {}, log: silent });

  /** Three short questions, two images each unless `withImages` is false. */
  async function converse(s: ChatSession, withImages: boolean): Promise<number[]> {
    const meter: number[] = [];
    for (const q of ['First?', 'Second?', 'Third?']) {
      s.send(q, [], withImages ? s.images.accept([image(), image()], 'ollama') : []);
      await s.idle();
      meter.push(historyImageTokens(s.messageList, 'ollama'));
    }
    return meter;
  }
  const summaries = (s: ChatSession) => s.messageList.filter((m) => m.summary).length;

  it('is compacted when its images fill the context, like a long text; the same words alone are not', async () => {
    const plain = session();
    await converse(plain, false);
    assert.equal(summaries(plain), 0, 'three short questions fit 3000 tokens');
    const requestsWithout = server.chatRequests.length;

    const heavy = session();
    const meter = await converse(heavy, true);
    // Before the third turn: 4 images (2304 tokens) plus the text, over 85% of 3000 with the third question's two.
    assert.equal(summaries(heavy), 1, 'the third turn compacted the earlier questions into a summary');
    assert.equal(server.chatRequests.length - requestsWithout, 4, 'three answers and one summary request');
    assert.deepEqual(meter.slice(0, 2), [2 * 576, 4 * 576], 'the meter’s image share grows with each question');
    assert.equal(meter[2], 2 * 576, 'after the compaction only the third question’s images count');
  });
});
