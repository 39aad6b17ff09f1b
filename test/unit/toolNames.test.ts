import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tool } from '@modelcontextprotocol/client';
import { approvalKey, needsApproval } from '../../src/tools/approval';
import { exposeTools } from '../../src/tools/mcp/toolNames';

const tool = (name: string, annotations?: Tool['annotations']): Tool => ({ name, inputSchema: { type: 'object' }, annotations });
const names = (servers: Array<{ server: string; tools: Tool[] }>) => exposeTools(servers).map((t) => [t.name, t.server, t.originalName]);

describe('exposeTools', () => {
  it('keeps unique names as they are', () => {
    assert.deepEqual(
      names([
        { server: 'a', tools: [tool('read'), tool('write')] },
        { server: 'b', tools: [tool('search')] },
      ]),
      [
        ['read', 'a', 'read'],
        ['write', 'a', 'write'],
        ['search', 'b', 'search'],
      ],
    );
  });

  it('prefixes every clashing name with its server, favouring neither', () => {
    assert.deepEqual(
      names([
        { server: 'git', tools: [tool('search'), tool('log')] },
        { server: 'web', tools: [tool('search')] },
      ]),
      [
        ['git_search', 'git', 'search'],
        ['log', 'git', 'log'],
        ['web_search', 'web', 'search'],
      ],
    );
  });

  it('cleans names to what model APIs accept, and still keeps them unique', () => {
    const long = 'x'.repeat(80);
    assert.deepEqual(
      names([
        { server: 'my server', tools: [tool('files.read'), tool('files_read'), tool(long)] },
        { server: 'my.server', tools: [tool('files.read')] },
      ]).map(([n]) => n),
      // files.read and files_read clean to the same name, so all three clash; the servers' names clean alike too.
      ['my_server_files_read', 'my_server_files_read_2', 'x'.repeat(64), 'my_server_files_read_3'],
    );
  });
});

describe('needsApproval', () => {
  const t = (annotations?: Tool['annotations']) => ({ server: 's', originalName: 't', annotations });
  it('asks for everything under "ask", nothing under "always"', () => {
    assert.equal(needsApproval(t({ readOnlyHint: true }), 'ask', new Set()), true);
    assert.equal(needsApproval(t({ destructiveHint: true }), 'always', new Set()), false);
  });

  it('under "readOnly" trusts only an explicit readOnlyHint: true (missing means false)', () => {
    assert.equal(needsApproval(t({ readOnlyHint: true }), 'readOnly', new Set()), false);
    assert.equal(needsApproval(t({ readOnlyHint: false }), 'readOnly', new Set()), true);
    assert.equal(needsApproval(t({}), 'readOnly', new Set()), true);
    assert.equal(needsApproval(t(), 'readOnly', new Set()), true);
  });

  it('skips tools the user always allowed, and asks for an unknown setting', () => {
    assert.equal(needsApproval(t(), 'ask', new Set([approvalKey(t())])), false);
    assert.equal(needsApproval(t({ readOnlyHint: true }), 'sometimes', new Set()), true);
  });
});
