import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mayStart, readMcpConfig, type McpInput } from '../../src/tools/mcp/mcpConfig';
import { loadMcpServers, type ResolveOptions, type StdioServerConfig } from '../../src/tools/mcp/mcpResolve';
import { parseDotenv, substitute } from '../../src/tools/mcp/mcpVariables';

const folder = '/work/project';

/** Resolve options that record which inputs were asked for. */
function options(over: Partial<ResolveOptions> = {}) {
  const asked: McpInput[] = [];
  const opts: Omit<ResolveOptions, 'inputs'> = {
    trusted: true,
    workspaceFolder: folder,
    userHome: '/home/ada',
    env: { TOKEN_VAR: 'from-env' },
    resolveInput: async (input) => {
      asked.push(input);
      return `value-of-${input.id}`;
    },
    readFile: async (path) => {
      throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    },
    ...over,
  };
  return { asked, opts };
}

const stdio = (s: unknown) => s as StdioServerConfig;

describe('readMcpConfig', () => {
  it('merges settings and .vscode/mcp.json, the workspace winning a name clash, and records each source', () => {
    const config = readMcpConfig({
      settingsServers: { a: { command: 'a-cmd' }, shared: { command: 'from-settings' } },
      workspaceJson: JSON.stringify({
        servers: { shared: { type: 'stdio', command: 'from-workspace' }, b: { type: 'http', url: 'http://h/mcp' } },
      }),
    });
    assert.deepEqual(config.problems, []);
    assert.deepEqual(
      config.entries.map((e) => [e.name, e.source, e.type === 'stdio' ? e.command : e.url]),
      [
        ['a', 'settings', 'a-cmd'],
        ['shared', 'workspace', 'from-workspace'],
        ['b', 'workspace', 'http://h/mcp'],
      ],
    );
  });

  it('reads JSONC: comments and trailing commas, as VS Code writes mcp.json', () => {
    const text = `{
      // my servers
      "servers": {
        "fs": { "type": "stdio", "command": "npx", "args": ["-y", "server",], }, /* trailing */
      },
      "inputs": [{ "type": "promptString", "id": "key", "description": "API key", "password": true },],
    }`;
    const config = readMcpConfig({ workspaceJson: text });
    assert.deepEqual(config.problems, []);
    assert.deepEqual(config.entries, [
      {
        name: 'fs',
        source: 'workspace',
        type: 'stdio',
        command: 'npx',
        args: ['-y', 'server'],
        env: {},
        envFile: undefined,
        cwd: undefined,
      },
    ]);
    assert.deepEqual(config.inputs, [
      { type: 'promptString', id: 'key', description: 'API key', password: true, default: undefined, options: undefined },
    ]);
  });

  it('infers the type from "command" or "url" when it is left out', () => {
    const { entries } = readMcpConfig({ settingsServers: { s: { command: 'x' }, h: { url: 'https://h' } } });
    assert.deepEqual(
      entries.map((e) => e.type),
      ['stdio', 'http'],
    );
  });

  it('turns each bad entry into a message naming the server, and still loads the good ones', () => {
    const config = readMcpConfig({
      settingsServers: {
        good: { command: 'ok' },
        noCommand: { type: 'stdio' },
        badArgs: { command: 'x', args: '--flag' },
        badType: { type: 'websocket', url: 'ws://x' },
        nothing: {},
        notObject: 'npx server',
        badEnv: { command: 'x', env: { A: { nested: true } } },
        badHeaders: { url: 'https://h', headers: ['x'] },
      },
    });
    assert.deepEqual(
      config.entries.map((e) => e.name),
      ['good'],
    );
    const messages = Object.fromEntries(config.problems.map((p) => [p.server, p.message]));
    assert.match(messages.noCommand, /^MCP server "noCommand" \(modelChat\.mcp\.servers\): "command" must be a non-empty string$/);
    assert.match(messages.badArgs, /"args" must be an array of strings/);
    assert.match(messages.badType, /unknown "type" "websocket": use "stdio", "http" or "sse"/);
    assert.match(messages.nothing, /has neither "command" \(stdio\) nor "url" \(http\)/);
    assert.match(messages.notObject, /must be an object/);
    assert.match(messages.badEnv, /"env.A" must be a string or null/);
    assert.match(messages.badHeaders, /"headers" must be an object/);
    assert.ok(config.problems.every((p) => p.source === 'settings'));
  });

  it('rejects a broken mcp.json as a whole, saying where, and keeps the settings servers', () => {
    const config = readMcpConfig({
      settingsServers: { a: { command: 'a' } },
      workspaceJson: '{\n  "servers": {\n    "x": { "command": "y" \n  }\n',
    });
    assert.deepEqual(
      config.entries.map((e) => e.name),
      ['a'],
    );
    assert.equal(config.problems.length, 1);
    assert.match(config.problems[0].message, /^\.vscode\/mcp\.json is not valid JSON: \w+ at line \d+, column \d+$/);
  });

  it('reports a setting or file of the wrong shape', () => {
    assert.match(readMcpConfig({ settingsServers: [] }).problems[0].message, /modelChat\.mcp\.servers must be an object/);
    assert.match(readMcpConfig({ workspaceJson: '[1]' }).problems[0].message, /must contain an object/);
    assert.match(readMcpConfig({ workspaceJson: '{"servers":{},"inputs":{}}' }).problems[0].message, /"inputs" .* must be an array/);
    assert.deepEqual(readMcpConfig({ workspaceJson: '  ' }), { entries: [], inputs: [], problems: [] });
  });

  it('lets workspace servers start only in a trusted workspace', () => {
    assert.equal(mayStart({ source: 'settings' }, false), true);
    assert.equal(mayStart({ source: 'workspace' }, false), false);
    assert.equal(mayStart({ source: 'workspace' }, true), true);
  });
});

describe('loadMcpServers (variables, inputs, envFile, trust)', () => {
  it('substitutes ${workspaceFolder}, ${userHome}, ${env:…} and ${input:…} in command, args, env, url and headers', async () => {
    const { opts } = options();
    const { servers, problems } = await loadMcpServers(
      {
        workspaceJson: JSON.stringify({
          servers: {
            s: {
              command: '${userHome}/bin/srv',
              args: ['${workspaceFolder}/src', '--token=${input:tok}', '${env:UNSET_VAR}'],
              env: { T: '${env:TOKEN_VAR}' },
            },
            h: { type: 'http', url: 'https://example.com/${input:tok}/mcp', headers: { Authorization: 'Bearer ${input:tok}' } },
          },
          inputs: [{ type: 'promptString', id: 'tok', password: true }],
        }),
      },
      opts,
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(servers[0], {
      name: 's',
      source: 'workspace',
      type: 'stdio',
      command: '/home/ada/bin/srv',
      args: [`${folder}/src`, '--token=value-of-tok', ''],
      env: { T: 'from-env' },
      cwd: folder, // VS Code's default working directory
    });
    assert.deepEqual(servers[1], {
      name: 'h',
      source: 'workspace',
      type: 'http',
      url: 'https://example.com/value-of-tok/mcp',
      headers: { Authorization: 'Bearer value-of-tok' },
    });
  });

  it("asks for each server's inputs once, with their declaration, one at a time (an answer is never reused for another server)", async () => {
    let running = 0;
    const { asked, opts } = options({
      resolveInput: async (input) => {
        assert.equal(++running, 1, 'one prompt at a time');
        asked.push(input);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return 'v';
      },
    });
    await loadMcpServers(
      {
        workspaceJson: JSON.stringify({
          servers: {
            a: { command: 'x', args: ['${input:key}', '${input:key}'] },
            b: { command: 'y', env: { K: '${input:key}', R: '${input:region}' } },
          },
          inputs: [
            { type: 'promptString', id: 'key', description: 'API key', password: true },
            { type: 'promptString', id: 'region' },
          ],
        }),
      },
      opts,
    );
    assert.deepEqual(
      asked.map((i) => [i.id, i.password, i.description]),
      [
        ['key', true, 'API key'],
        ['key', true, 'API key'],
        ['region', false, undefined],
      ],
    );
  });

  it('asks for an input used in settings but declared nowhere, treating it as a secret', async () => {
    const { asked, opts } = options();
    const { servers } = await loadMcpServers({ settingsServers: { s: { command: 'x', env: { KEY: '${input:apiKey}' } } } }, opts);
    assert.deepEqual(asked, [{ type: 'promptString', id: 'apiKey', description: 'apiKey', password: true }]);
    assert.equal(stdio(servers[0]).env.KEY, 'value-of-apiKey');
  });

  it('leaves out only the servers whose input was cancelled', async () => {
    const { opts } = options({ resolveInput: async (input) => (input.id === 'no' ? undefined : 'yes') });
    const { servers, problems } = await loadMcpServers(
      { settingsServers: { a: { command: '${input:no}' }, b: { command: '${input:ok}' } } },
      opts,
    );
    assert.deepEqual(
      servers.map((s) => s.name),
      ['b'],
    );
    assert.deepEqual(problems, [{ source: 'settings', server: 'a', message: 'MCP server "a": input "no" was not provided' }]);
  });

  it('in an untrusted workspace blocks workspace servers without asking for their inputs, and runs settings servers', async () => {
    const { asked, opts } = options({ trusted: false });
    const result = await loadMcpServers(
      {
        settingsServers: { mine: { command: 'x' } },
        workspaceJson: JSON.stringify({ servers: { theirs: { command: 'rm', args: ['${input:x}'] } } }),
      },
      opts,
    );
    assert.deepEqual(
      result.servers.map((s) => s.name),
      ['mine'],
    );
    assert.deepEqual(
      result.blocked.map((s) => s.name),
      ['theirs'],
    );
    assert.deepEqual(asked, []);
  });

  it('reads envFile relative to the workspace folder; "env" wins over it and null removes a variable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-config-'));
    writeFileSync(join(dir, '.env'), '# comment\nexport A=from-file\nB="quoted # not a comment"\nC=plain # comment\nD=dropped\n');
    const { opts } = options({ workspaceFolder: dir, readFile: undefined });
    const { servers, problems } = await loadMcpServers(
      { workspaceJson: JSON.stringify({ servers: { s: { command: 'x', envFile: '.env', env: { C: 'from-env', D: null } } } }) },
      opts,
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(stdio(servers[0]).env, { A: 'from-file', B: 'quoted # not a comment', C: 'from-env' });
  });

  it('reports a missing envFile, ${workspaceFolder} with no folder, and a bad URL, per server', async () => {
    const { opts } = options({ workspaceFolder: undefined });
    const { servers, problems } = await loadMcpServers(
      {
        settingsServers: {
          envMissing: { command: 'x', envFile: '/nope/.env' },
          noFolder: { command: '${workspaceFolder}/bin' },
          relativeEnvFile: { command: 'x', envFile: '.env' },
          badUrl: { url: 'not a url' },
          ftp: { url: 'ftp://h/x' },
          fine: { command: 'x' },
        },
      },
      opts,
    );
    assert.deepEqual(
      servers.map((s) => s.name),
      ['fine'],
    );
    assert.deepEqual(
      problems.map((p) => p.message),
      [
        'MCP server "envMissing": cannot read envFile /nope/.env: ENOENT',
        'MCP server "noFolder": ${workspaceFolder} is used but no workspace folder is open',
        // A settings server's relative paths are the home's.
        'MCP server "relativeEnvFile": cannot read envFile /home/ada/.env: ENOENT',
        'MCP server "badUrl": "url" is not a valid URL: not a url',
        'MCP server "ftp": "url" must be http or https: ftp://h/x',
      ],
    );
    assert.equal(stdio(servers[0]).cwd, '/home/ada');
  });
});

describe('variables and dotenv', () => {
  it('leaves unknown variables as written', () => {
    assert.equal(
      substitute('${unknown} ${workspaceFolderBasename} ${/}', { userHome: '/h', env: {}, inputs: new Map(), workspaceFolder: '/a/b/' }),
      '${unknown} b /',
    );
  });

  it('parses double-quoted escapes and single quotes literally', () => {
    assert.deepEqual(parseDotenv(`A="x\\ny"\r\nB='x\\ny'\nnot an assignment\n  C = spaced  `), { A: 'x\ny', B: 'x\\ny', C: 'spaced' });
  });
});
