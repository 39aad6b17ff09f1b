import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createProvider } from '../../src/streaming/providers/createProvider';
import { listAllModels } from '../../src/streaming/providers/modelCatalog';
import { FakeOllama } from '../fakes/ollamaServer';
import { FakeOpenAI } from '../fakes/openaiServer';
import { closedPort } from '../fakes/ports';

describe('listAllModels', () => {
  const ollama = new FakeOllama();
  const openai = new FakeOpenAI();
  before(async () => {
    await ollama.start();
    await openai.start();
  });
  after(async () => {
    await ollama.stop();
    await openai.stop();
  });

  it('lists every endpoint, the one that is down shown as such in its place', async () => {
    ollama.models = [{ name: 'llama3.2:latest', parameter_size: '3.2B', quantization_level: 'Q4_K_M' }];
    openai.models = ['qwen3-8b'];
    const down = `http://127.0.0.1:${await closedPort()}`;
    const lists = await listAllModels(
      [
        { name: 'Local', type: 'ollama', url: ollama.url },
        { name: 'Down', type: 'ollama', url: down },
        { name: 'Studio', type: 'openai', url: openai.url },
      ],
      (e) => createProvider(e),
    );
    assert.deepEqual(
      lists.map((l) => l.endpoint.name),
      ['Local', 'Down', 'Studio'],
    );
    assert.deepEqual('models' in lists[0] && lists[0].models, [{ name: 'llama3.2:latest', detail: '3.2B · Q4_K_M' }]);
    assert.ok('error' in lists[1] && /Ollama is not running at http:\/\/127\.0\.0\.1/.test(lists[1].error));
    assert.deepEqual('models' in lists[2] && lists[2].models.map((m) => m.name), ['qwen3-8b']);
  });

  it('an endpoint that does not answer in time is reported, without holding up the rest', async () => {
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket)); // accepts connections, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const started = performance.now();
      const lists = await listAllModels(
        [
          { name: 'Local', type: 'ollama', url: ollama.url },
          { name: 'Stuck', type: 'ollama', url: `http://127.0.0.1:${(silent.address() as { port: number }).port}` },
        ],
        (e) => createProvider(e),
        500,
      );
      assert.ok(performance.now() - started < 5000);
      assert.ok('models' in lists[0]);
      assert.ok('error' in lists[1] && /no answer from .* within 1 s/.test(lists[1].error));
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
