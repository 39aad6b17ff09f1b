// esbuild plugins shared by esbuild.mjs and the activation benchmark (bench/activation.ts), so the benchmark loads
// the bundle as it ships.

// ollama-js imports the whatwg-fetch polyfill for old browsers; the extension host has Node's own fetch,
// so the 10 KB polyfill is replaced by an empty module.
export const noFetchPolyfill = {
  name: 'no-fetch-polyfill',
  setup(build) {
    build.onResolve({ filter: /^whatwg-fetch$/ }, () => ({ path: 'whatwg-fetch', namespace: 'empty' }));
    build.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: '' }));
  },
};

// The MCP client is its own bundle, dist/mcpClient.js (entry src/tools/mcp/mcpClientBundle.ts), required by
// mcpSdk.ts's dynamic imports on first use: parsing it inside dist/extension.js cost every activation 25 ms.
export const mcpClientApart = {
  name: 'mcp-client-apart',
  setup(build) {
    build.onResolve({ filter: /^@modelcontextprotocol\/client(\/stdio)?$/ }, () => ({ path: './mcpClient.js', external: true }));
  },
};
