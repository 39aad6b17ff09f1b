/** Standing instructions for the model: the user's setting and the workspace's own instructions file. */
export interface InstructionPart {
  /** Where it comes from, for the log and the UI: "modelChat.systemPrompt", "AGENTS.md", … */
  source: string;
  text: string;
}

/** Files users already keep for other assistants; the first that exists is used. */
export const INSTRUCTION_FILES = ['.github/copilot-instructions.md', 'AGENTS.md'];

/** Instruction files longer than this are cut, with a note saying so: they go into every request. */
export const MAX_INSTRUCTIONS_CHARS = 16_000;

/** The system message: each non-empty part in order, a file's part headed by its name; none when empty. */
export function systemPrompt(parts: InstructionPart[]): string | undefined {
  const texts = parts
    .map((p) => ({ ...p, text: p.text.trim() }))
    .filter((p) => p.text.length > 0)
    .map((p) => {
      const text =
        p.text.length > MAX_INSTRUCTIONS_CHARS
          ? `${p.text.slice(0, MAX_INSTRUCTIONS_CHARS)}\n\n[${p.source} was cut at ${MAX_INSTRUCTIONS_CHARS.toLocaleString('en-US')} characters]`
          : p.text;
      return p.source === 'modelChat.systemPrompt' ? text : `Instructions from ${p.source}:\n\n${text}`;
    });
  return texts.length ? texts.join('\n\n') : undefined;
}
