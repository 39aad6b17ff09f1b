/**
 * Work counted, not timed: the characters that string searches and regular expressions are handed while
 * `fn` runs. Something that scans the whole text for each character or delimiter shows as n² here on any
 * machine, however loaded, where a time bound must be so loose that it catches only the worst.
 *
 * Counted: for `indexOf` and `lastIndexOf`, the characters from where the search starts to where it stopped;
 * for `includes`, everything after its start; for `slice`/`substring`, the result; for the others (`trim`,
 * `replace`, `split`, `match`, `search`, RegExp `exec`/`test`), the whole string. Character reads by index
 * and `charCodeAt` are not counted: they are the linear walk itself.
 */
type Counter = (self: string, args: unknown[], result: unknown) => number;

const start = (self: string, args: unknown[], last: boolean) => {
  const at = Number(args[1]);
  return Math.max(0, Math.min(self.length, Number.isNaN(at) ? (last ? self.length : 0) : at));
};
const STRING_METHODS: Record<string, Counter> = {
  indexOf: (self, args, found) => {
    const from = start(self, args, false);
    return (found as number) < 0 ? self.length - from : (found as number) - from + String(args[0]).length;
  },
  lastIndexOf: (self, args, found) => {
    const from = start(self, args, true);
    return (found as number) < 0 ? from : from - (found as number) + String(args[0]).length;
  },
  includes: (self, args) => self.length - start(self, args, false),
  slice: (_self, _args, result) => (result as string).length,
  substring: (_self, _args, result) => (result as string).length,
  trim: (self) => self.length,
  trimEnd: (self) => self.length,
  replace: (self) => self.length,
  replaceAll: (self) => self.length,
  split: (self) => self.length,
  match: (self) => self.length,
  matchAll: (self) => self.length,
  search: (self) => self.length,
};

export function scannedCharacters(fn: () => void): number {
  let total = 0;
  const restore: Array<() => void> = [];
  const patch = <T extends object>(proto: T, name: string, count: (self: any, args: unknown[], result: unknown) => number) => {
    const original = (proto as any)[name] as (...args: unknown[]) => unknown;
    (proto as any)[name] = function (this: any, ...args: unknown[]) {
      const result = original.apply(this, args);
      total += count(this, args, result);
      return result;
    };
    restore.push(() => ((proto as any)[name] = original));
  };
  for (const [name, count] of Object.entries(STRING_METHODS))
    patch(String.prototype, name, (self, args, result) => count(String(self), args, result));
  patch(RegExp.prototype, 'exec', (_self, args) => String(args[0]).length);
  patch(RegExp.prototype, 'test', (_self, args) => String(args[0]).length);
  try {
    fn();
  } finally {
    for (const undo of restore.reverse()) undo();
  }
  return total;
}
