import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toChatHistory, toFunctions } from '../../src/streaming/providers/embedded/embeddedMessages';
import { listModelFiles, modelPath } from '../../src/streaming/providers/embedded/modelFiles';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('built-in engine: our messages and tools as node-llama-cpp sees them', () => {
  it('puts each tool result on its call inside the model response, by id first, then by name', () => {
    const history = toChatHistory([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: 'Checking.',
        toolCalls: [
          { id: 'a', name: 'get_weather', arguments: { city: 'Paris' } },
          { id: 'b', name: 'get_weather', arguments: { city: 'Tokyo' } },
          { name: 'now', arguments: 'not json' },
        ],
      },
      { role: 'tool', toolName: 'get_weather', toolCallId: 'b', content: 'Rain' },
      { role: 'tool', toolName: 'get_weather', content: 'Sun' },
      { role: 'tool', toolName: 'now', content: '12:00' },
      { role: 'tool', toolName: 'unknown', content: 'orphan' },
    ]);
    assert.deepEqual(history, [
      { type: 'system', text: 'Be brief.' },
      { type: 'user', text: 'Weather?' },
      {
        type: 'model',
        response: [
          'Checking.',
          { type: 'functionCall', name: 'get_weather', params: { city: 'Paris' }, result: 'Sun' },
          { type: 'functionCall', name: 'get_weather', params: { city: 'Tokyo' }, result: 'Rain' },
          { type: 'functionCall', name: 'now', params: {}, result: '12:00' },
        ],
      },
      { type: 'user', text: 'Result of unknown: orphan' },
    ]);
  });

  it('gives tools as functions without handlers, keeping only the schema keys the grammar builder knows', () => {
    assert.equal(toFunctions([]), undefined);
    const functions = toFunctions([
      {
        name: 'search',
        description: 'Search files',
        inputSchema: {
          $schema: 'x',
          type: 'object',
          properties: { q: { type: 'string', format: 'regex', description: 'query' } },
          required: ['q'],
        },
      },
      { name: 'ping', inputSchema: { type: 'object', properties: {} } },
    ]);
    assert.deepEqual(functions, {
      search: {
        description: 'Search files',
        params: { type: 'object', properties: { q: { type: 'string', description: 'query' } }, required: ['q'] },
      },
      ping: {},
    });
  });

  it('lists only .gguf files of the folder, with sizes, and never resolves a name outside it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'model-chat-models-'));
    writeFileSync(join(folder, 'b.gguf'), 'GGUF1234');
    writeFileSync(join(folder, 'a.GGUF'), 'GGUF');
    writeFileSync(join(folder, 'c.gguf.part'), 'GG');
    writeFileSync(join(folder, 'notes.txt'), 'x');
    mkdirSync(join(folder, 'dir.gguf'));
    assert.deepEqual(
      (await listModelFiles(folder)).map((m) => [m.name, m.bytes]),
      [
        ['a', 4],
        ['b', 8],
      ],
    );
    assert.deepEqual(await listModelFiles(join(folder, 'missing')), []);
    assert.equal(modelPath(folder, 'b'), join(folder, 'b.gguf'));
    for (const bad of ['../b', '/etc/passwd', '.hidden', '', 'a/b']) assert.equal(modelPath(folder, bad), undefined, bad);
    rmSync(folder, { recursive: true });
  });
});
