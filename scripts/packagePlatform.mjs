// Platform .vsix files: the universal package plus node-llama-cpp and only this platform's llama.cpp binaries,
// so the built-in engine works. `npm run package:platform` builds for this machine; `-- --target linux-arm64`
// (or several targets) for others, when their @node-llama-cpp/<target> packages are installed.
// The universal .vsix (`npm run package`) stays as it was: fast, without node_modules, servers only.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = dirname(dirname(new URL(import.meta.url).pathname));
const args = process.argv.slice(2);
const targets = args.flatMap((a, i) => (args[i - 1] === '--target' ? [a] : []));
if (targets.length === 0) targets.push(`${process.platform === 'win32' ? 'win32' : process.platform}-${process.arch}`);

// vsce's target names → node-llama-cpp's binary packages (CPU builds; CUDA/Vulkan variants add hundreds of MB).
const BINARIES = {
  'linux-x64': ['linux-x64'],
  'linux-arm64': ['linux-arm64'],
  'linux-armhf': ['linux-armv7l'],
  'darwin-arm64': ['mac-arm64-metal'],
  'darwin-x64': ['mac-x64'],
  'win32-x64': ['win-x64'],
  'win32-arm64': ['win-arm64'],
};

/** Node's lookup of a package folder (node_modules upwards); packages with `exports` hide their package.json from require. */
function findPackage(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** node-llama-cpp and everything it needs at run time, as folders under node_modules. */
function closure(name, from = root, seen = new Map()) {
  const manifestPath = findPackage(name, from);
  if (!manifestPath) return seen; // an optional dependency for another platform
  const dir = dirname(manifestPath);
  if (seen.has(dir)) return seen;
  seen.set(dir, name);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  for (const dep of Object.keys(manifest.dependencies ?? {})) closure(dep, dir, seen);
  return seen;
}

execFileSync('node', ['esbuild.mjs', '--production'], { cwd: root, stdio: 'inherit' });
const base = readFileSync(join(root, '.vscodeignore'), 'utf8').trimEnd();
for (const target of targets) {
  const binaries = BINARIES[target];
  if (!binaries) throw new Error(`No llama.cpp binaries are known for ${target}; known: ${Object.keys(BINARIES).join(', ')}`);
  const dirs = closure('node-llama-cpp');
  for (const b of binaries) {
    const found = closure(`@node-llama-cpp/${b}`, dirname(findPackage('node-llama-cpp', root)));
    if (found.size === 0)
      throw new Error(
        `@node-llama-cpp/${b} is not installed: install it (npm install --no-save @node-llama-cpp/${b}) to build for ${target}`,
      );
    for (const [dir, name] of found) dirs.set(dir, name);
  }
  const lines = [base, '', '# node-llama-cpp and its dependencies (scripts/packagePlatform.mjs)'];
  // vsce lets any `!` line win over an exclusion, so node-llama-cpp is listed by part: its llama/ folder is llama.cpp's
  // source (a 30 MB git bundle, for building from source, which the engine never does) but for two small JSON files.
  const engine = relative(root, dirname(findPackage('node-llama-cpp', root))).replace(/\\/g, '/');
  for (const dir of dirs.keys()) {
    const path = relative(root, dir).replace(/\\/g, '/');
    if (path !== engine) lines.push(`!${path}/**`);
  }
  for (const part of [
    'package.json',
    'LICENSE',
    'dist/**',
    'bins/**',
    'templates/**',
    'node_modules/**',
    'llama/package.json',
    'llama/binariesGithubRelease.json',
    'llama/llama.cpp.info.json',
  ])
    lines.push(`!${engine}/${part}`);
  lines.push('**/*.map');
  const ignoreFile = join(root, `.vscodeignore.${target}`);
  writeFileSync(ignoreFile, `${lines.join('\n')}\n`);
  try {
    execFileSync(
      'npx',
      [
        'vsce',
        'package',
        '--target',
        target,
        '--ignoreFile',
        ignoreFile,
        '--allow-missing-repository',
        '--no-rewrite-relative-links',
        '--out',
        `model-chat-${target}.vsix`,
      ],
      { cwd: root, stdio: 'inherit' },
    );
  } finally {
    if (existsSync(ignoreFile)) rmSync(ignoreFile);
  }
}
