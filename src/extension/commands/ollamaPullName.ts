/**
 * Which model names the chat's "Run ollama pull" buttons may pull. The name can come from a workspace's
 * `defaultModel`, and Ollama reads a first path segment that looks like a host (`evil.host/x/y`,
 * `127.0.0.1:5000/x`) as the registry to pull from, so only plain library names pass: `name[:tag]` or
 * `namespace/name[:tag]`, with a namespace that is no host. Nothing in such a name means anything to a shell,
 * and nothing can start with `-` (an ollama option).
 */
const LIBRARY_NAME = /^(?:([a-z0-9][a-z0-9_-]*)\/)?[a-z0-9][a-z0-9._-]*(?::[a-z0-9_][a-z0-9._-]*)?$/i;

export function isPullableModelName(name: string): boolean {
  const match = name.length <= 200 ? LIBRARY_NAME.exec(name) : null;
  return match !== null && match[1]?.toLowerCase() !== 'localhost';
}
