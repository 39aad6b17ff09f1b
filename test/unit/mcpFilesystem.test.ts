/** The published @modelcontextprotocol/server-filesystem on a temp dir: annotations drive approval. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { approvalKey, needsApproval } from '../../src/tools/approval';
import { McpConnections, type McpTool } from '../../src/tools/mcp/mcpConnections';
import { runTool } from '../../src/tools/mcp/toolRunner';
import { filesystemBin, memoryLogger, nodeServer } from '../fakes/mcpServers';

describe('server-filesystem', () => {
  // realpath: the server compares resolved paths, and a symlinked tmpdir (macOS) would be "outside".
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'mcp-fs-')));
  writeFileSync(join(dir, 'hello.txt'), 'Hello from disk\nsecond line\n');
  const connections = new McpConnections([nodeServer('fs', filesystemBin(), [dir])], { logger: memoryLogger() });
  const tool = (name: string): McpTool => {
    const t = connections.findTool(name);
    assert.ok(t, `tool ${name}`);
    return t;
  };
  before(() => connections.ensureStarted());
  after(async () => {
    await connections.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('marks read_text_file read-only and write_file not, so only the first is auto-approved under readOnly', () => {
    assert.equal(tool('read_text_file').annotations?.readOnlyHint, true);
    assert.equal(tool('write_file').annotations?.readOnlyHint, false);
    const none = new Set<string>();
    assert.equal(needsApproval(tool('read_text_file'), 'readOnly', none), false);
    assert.equal(needsApproval(tool('write_file'), 'readOnly', none), true);
    assert.equal(needsApproval(tool('read_text_file'), 'ask', none), true);
    assert.equal(needsApproval(tool('write_file'), 'always', none), false);
    assert.equal(needsApproval(tool('write_file'), 'ask', new Set([approvalKey(tool('write_file'))])), false);
    assert.equal(approvalKey(tool('write_file')), 'fs/write_file');
  });

  it('reads and writes files (the SDK checks their structured output against the declared schema)', async () => {
    const read = await runTool(connections, { name: 'read_text_file', arguments: { path: join(dir, 'hello.txt'), head: 1 } });
    assert.deepEqual([read.outcome, read.content], ['done', 'Hello from disk']);
    const written = await runTool(connections, {
      name: 'write_file',
      arguments: { path: join(dir, 'new.txt'), content: 'made by a tool' },
    });
    assert.equal(written.outcome, 'done', written.content);
    assert.equal(readFileSync(join(dir, 'new.txt'), 'utf8'), 'made by a tool');
  });

  it('reports a path outside the allowed directory as the tool’s own error', async () => {
    const r = await runTool(connections, { name: 'read_text_file', arguments: { path: '/etc/hostname' } });
    assert.equal(r.outcome, 'toolError');
    assert.equal(r.isError, true);
    assert.match(r.content, /Access denied/);
  });
});
