/**
 * The `${…}` variables of VS Code's mcp.json, and the dotenv format of `envFile`.
 * Pure functions: the caller supplies the values (and has already asked for any `${input:…}`).
 */

export interface VariableValues {
  workspaceFolder?: string;
  userHome: string;
  env: Record<string, string | undefined>;
  /** Values of `${input:id}`, already resolved. */
  inputs: ReadonlyMap<string, string>;
  pathSeparator?: string;
}

const VARIABLE = /\$\{([^}]+)\}/g;

/** The ids of every `${input:id}` in the text, in order of appearance. */
export function inputIdsIn(text: string): string[] {
  return [...text.matchAll(VARIABLE)]
    .map((m) => m[1])
    .filter((v) => v.startsWith('input:'))
    .map((v) => v.slice(6));
}

/**
 * Replaces the variables VS Code documents for mcp.json. Throws (with a message meant for the user) when a
 * variable needs a value that does not exist, e.g. `${workspaceFolder}` with no folder open: starting the
 * server with a literal "${workspaceFolder}" in its arguments would fail later and less clearly.
 * Variables we do not know stay as written, as VS Code leaves them.
 */
export function substitute(text: string, values: VariableValues): string {
  return text.replace(VARIABLE, (whole, name: string) => {
    if (name === 'workspaceFolder' || name === 'workspaceFolderBasename') {
      if (!values.workspaceFolder) throw new Error(`${whole} is used but no workspace folder is open`);
      return name === 'workspaceFolder' ? values.workspaceFolder : basename(values.workspaceFolder);
    }
    if (name === 'userHome') return values.userHome;
    if (name === 'pathSeparator' || name === '/') return values.pathSeparator ?? '/';
    // VS Code substitutes an unset environment variable with the empty string.
    if (name.startsWith('env:')) return values.env[name.slice(4)] ?? '';
    if (name.startsWith('input:')) {
      const value = values.inputs.get(name.slice(6));
      if (value === undefined) throw new Error(`no value for ${whole}`);
      return value;
    }
    return whole;
  });
}

function basename(path: string): string {
  return (
    path
      .replace(/[\\/]+$/, '')
      .split(/[\\/]/)
      .pop() ?? path
  );
}

/**
 * Parses a dotenv file: `KEY=value`, optional `export `, `#` comments, single quotes taken literally,
 * double quotes with \n escapes. Lines that are not assignments are ignored, as dotenv does.
 */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(raw);
    if (!m) continue;
    let value = m[2].trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.indexOf(quote, 1) > 0) {
      value = value.slice(1, value.indexOf(quote, 1));
      if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r').replace(/\\t/g, '\t');
    } else {
      value = value.replace(/\s+#.*$/, '');
    }
    out[m[1]] = value;
  }
  return out;
}
