/**
 * read_file's answer: the requested lines, numbered so the model can cite and ask for the next part, and
 * no more than a cap of them, with a note that says where to continue.
 */
import { formatBytes } from '../../shared/bytes';

export interface LineRangeOptions {
  startLine?: number;
  endLine?: number;
  /** At most this many UTF-8 bytes of file text in the answer. */
  maxBytes: number;
  /** The file itself was longer than what was read from disk. */
  fileTruncated?: boolean;
}

export interface LineRange {
  text: string;
  /** Lines shown, 1-based inclusive; 0..0 when none. */
  from: number;
  to: number;
  totalLines: number;
  /** Lines were left out for the cap. */
  cut: boolean;
}

export function sliceLines(content: string, { startLine = 1, endLine, maxBytes, fileTruncated }: LineRangeOptions): LineRange {
  const lines = content.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const totalLines = lines.length;
  if (startLine > totalLines) {
    return {
      text: `[The file has ${totalLines} line${totalLines === 1 ? '' : 's'}; nothing from line ${startLine}.]`,
      from: 0,
      to: 0,
      totalLines,
      cut: false,
    };
  }
  const last = Math.min(endLine ?? totalLines, totalLines);
  const width = String(last).length;
  const out: string[] = [];
  let bytes = 0;
  let to = startLine - 1;
  for (let i = startLine; i <= last; i++) {
    const line = `${String(i).padStart(width)}: ${lines[i - 1]}\n`;
    const size = Buffer.byteLength(line, 'utf8');
    if (bytes + size > maxBytes && out.length > 0) break;
    out.push(size > maxBytes ? `${line.slice(0, maxBytes)}…\n` : line);
    bytes += size;
    to = i;
  }
  const cut = to < last;
  const notes: string[] = [];
  if (cut)
    notes.push(
      `[Lines ${startLine}-${to} of ${totalLines} shown (cap ${formatBytes(maxBytes)}); call read_file with startLine ${to + 1} for more.]`,
    );
  else if (startLine > 1 || last < totalLines) notes.push(`[Lines ${startLine}-${to} of ${totalLines}.]`);
  if (fileTruncated) notes.push('[The file is larger than the read limit: only its beginning was read.]');
  return { text: out.join('') + notes.join('\n'), from: startLine, to, totalLines, cut };
}
