import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  fitWithin,
  imageProblem,
  imageTokens,
  MAX_IMAGE_BASE64,
  MAX_IMAGE_INPUT_BYTES,
  OLLAMA_IMAGE_TOKENS,
  sniffBase64,
  sniffImage,
} from '../../src/shared/images';
import { parseWebviewMessage, type ImageInput } from '../../src/shared/protocol';
import { toOllamaMessages } from '../../src/streaming/providers/ollama/ollamaMessages';
import { toOpenAIMessages } from '../../src/streaming/providers/openai/openaiMessages';
import { ChatSession } from '../../src/streaming/chat/chatSession';
import type { SessionConfig } from '../../src/streaming/chat/sessionTypes';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { ImageBlobs, imageHash } from '../../src/history/imageBlobs';
import { checkMessage } from '../../src/history/storedMessage';
import { FakeOllama } from '../fakes/ollamaServer';
import { FakeOpenAI } from '../fakes/openaiServer';

const silent = { info() {}, warn() {}, error() {} };
/** A real 1x1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const THUMB = `data:image/png;base64,${PNG}`;
const image = (over: Partial<ImageInput> = {}): ImageInput => ({
  mimeType: 'image/png',
  data: PNG,
  width: 1,
  height: 1,
  thumb: THUMB,
  ...over,
});
const bytes = (...b: number[]) => Uint8Array.from(b);

describe('image kinds, caps and token estimates', () => {
  it('tells the kind from the first bytes, whatever the file claims', () => {
    assert.equal(sniffImage(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0)), 'image/png');
    assert.equal(sniffImage(bytes(0xff, 0xd8, 0xff, 0xe0)), 'image/jpeg');
    assert.equal(sniffImage(new TextEncoder().encode('GIF89a....')), 'image/gif');
    assert.equal(sniffImage(new TextEncoder().encode('RIFF\u0001\u0002\u0003\u0004WEBPVP8 ')), 'image/webp');
    assert.equal(sniffImage(new TextEncoder().encode('RIFF\u0001\u0002\u0003\u0004WAVEfmt ')), undefined);
    assert.equal(sniffImage(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg">')), undefined);
    assert.equal(sniffBase64(PNG), 'image/png');
    assert.equal(sniffBase64('not base64!!'), undefined);
  });

  it('refuses files over 20 MB and files that are not images, with a reason a user can read', () => {
    assert.equal(imageProblem('a.png', MAX_IMAGE_INPUT_BYTES, 'image/png'), undefined);
    assert.match(imageProblem('big.png', MAX_IMAGE_INPUT_BYTES + 1, 'image/png')!, /big\.png is 20\.0 MB; images up to 20 MB/);
    assert.match(imageProblem('notes.png', 10, undefined)!, /not a PNG, JPEG, GIF or WebP/);
  });

  it('scales the longer side down to 2048 and never up', () => {
    assert.deepEqual(fitWithin(8000, 4000), { width: 2048, height: 1024 });
    assert.deepEqual(fitWithin(300, 200), { width: 300, height: 200 });
  });

  it("estimates OpenAI's tiles (its published examples) and a fixed cost for Ollama", () => {
    assert.equal(imageTokens('openai', 1024, 1024), 765); // 768 x 768: 4 tiles
    assert.equal(imageTokens('openai', 2048, 4096), 1105); // 768 x 1536: 6 tiles
    assert.equal(imageTokens('openai', 100, 100), 255); // 1 tile
    assert.equal(imageTokens('ollama', 4000, 3000), OLLAMA_IMAGE_TOKENS);
  });
});

describe('the send message with images at the boundary', () => {
  const send = (images: unknown) => parseWebviewMessage({ type: 'send', text: 'What is this?', images });
  it('takes images whose bytes are what they claim', () => {
    assert.equal(send([image()]).ok, true);
  });
  it('refuses a claimed type the bytes do not match, a remote preview, bad sizes, too many', () => {
    assert.equal(send([image({ mimeType: 'image/jpeg' })]).ok, false);
    assert.equal(send([image({ data: Buffer.from('<svg/>').toString('base64') })]).ok, false);
    assert.equal(send([image({ thumb: 'https://example.com/x.png' })]).ok, false);
    assert.equal(send([image({ width: 0 })]).ok, false);
    assert.equal(send([image({ data: `${PNG.slice(0, 40)}<script>` })]).ok, false);
    const bare = PNG.replace(/=+$/, '');
    const heavy = bare + 'A'.repeat(MAX_IMAGE_BASE64 - bare.length);
    assert.equal(send([image({ data: heavy })]).ok, true);
    assert.equal(send([image({ data: `${heavy}AAAA` })]).ok, false, 'one image over its cap');
    assert.equal(send([1, 2, 3, 4].map(() => image({ data: heavy }))).ok, false, 'all together over the message cap');
    assert.equal(send(Array.from({ length: 9 }, () => image())).ok, false);
    assert.equal(send([]).ok, false);
  });
});

describe('images in each provider wire shape', () => {
  const messages = [{ role: 'user' as const, content: 'What is this?', images: [{ mimeType: 'image/png', data: PNG }] }];
  it('Ollama: bare base64 in `images` on the message', () => {
    assert.deepEqual(toOllamaMessages(messages), [{ role: 'user', content: 'What is this?', images: [PNG] }]);
  });
  it('OpenAI-compatible: a text part and an image_url part with a data URL', () => {
    assert.deepEqual(toOpenAIMessages(messages), [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
        ],
      },
    ]);
  });
  it('a question without images stays a plain string', () => {
    assert.deepEqual(toOpenAIMessages([{ role: 'user', content: 'Hi' }]), [{ role: 'user', content: 'Hi' }]);
  });
});

describe('a session sending images (request bytes at the fake servers; the tiny llama-server model has no vision)', () => {
  const ollama = new FakeOllama();
  const openai = new FakeOpenAI();
  let dir: string;
  let config: SessionConfig;
  before(async () => {
    await ollama.start();
    await openai.start();
  });
  after(async () => {
    await ollama.stop();
    await openai.stop();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'images-in-'));
    ollama.requests.length = 0;
    openai.reset();
    ollama.models = [{ name: 'llava:latest' }, { name: 'text-only:latest' }];
    ollama.capabilities.set('llava:latest', ['completion', 'vision']);
    config = { endpoint: { name: 'Local', type: 'ollama', url: ollama.url }, model: 'llava:latest', maxUpdatesPerSecond: 20 };
  });
  const session = (store?: ImageBlobs) =>
    new ChatSession({
      config: () => config,
      providerFor: createProvider,
      post: () => {},
      log: silent,
      ...(store ? { images: store } : {}),
    });

  it('sends the image to Ollama with the question, and says which models can see', async () => {
    const s = session();
    assert.equal(await s.canSee(new AbortController().signal), true);
    s.send('What is this?', [], s.images.accept([image()], 'ollama'));
    await s.idle();
    const sent = ollama.chatRequests[0].body.messages.at(-1);
    assert.deepEqual(sent, { role: 'user', content: 'What is this?', images: [PNG] });
    config.model = 'text-only:latest';
    assert.equal(await s.canSee(new AbortController().signal), false);
  });

  it('sends image_url parts to an OpenAI-compatible server', async () => {
    config = { endpoint: { name: 'Compat', type: 'openai', url: `${openai.url}` }, model: 'test-model', maxUpdatesPerSecond: 20 };
    const s = session();
    assert.equal(await s.canSee(new AbortController().signal), true, 'a server that cannot say is not refused');
    const labels = s.images.accept([image({ width: 1024, height: 1024 })], 'openai');
    assert.equal(labels[0].tokens, 765);
    s.send('Describe it', [], labels);
    await s.idle();
    const content = openai.chatRequests[0].body.messages.at(-1).content;
    assert.deepEqual(content[1], { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } });
  });

  it('stores each image once, by hash, outside the conversation, and a restored conversation sends it again', async () => {
    const blobs = new ImageBlobs(join(dir, 'images'));
    const first = session(blobs);
    first.send('What is this?', [], first.images.accept([image({ thumb: 'data:image/webp;base64,UklGRg==' })], 'ollama'));
    await first.idle();
    await first.images.written();
    const saved = first.conversation();
    const question = saved.messages[0];
    assert.equal(question.images?.[0].hash, imageHash(PNG));
    assert.ok(!JSON.stringify(saved).includes(PNG.slice(30)), 'the bytes are not in the conversation, only the preview');
    assert.deepEqual(await readdir(join(dir, 'images')), [`${imageHash(PNG)}.bin`]);
    assert.ok(typeof checkMessage(JSON.parse(JSON.stringify(question))) !== 'string');

    const second = session(blobs);
    second.restore(saved);
    second.send('And now?');
    await second.idle();
    const history = ollama.chatRequests.at(-1)!.body.messages;
    assert.deepEqual(history[0], { role: 'user', content: 'What is this?', images: [PNG] });
    assert.equal((await blobs.removeUnreferenced(new Set())).removed, 1);
    await rm(dir, { recursive: true, force: true });
  });

  it('drops a stored image entry that does not check, keeping the message', () => {
    const m = checkMessage({ id: 'q', role: 'user', text: 'x', state: 'done', images: [{ hash: 'nope', mimeType: 'image/png' }] });
    assert.ok(typeof m !== 'string' && m.images === undefined);
  });
});
