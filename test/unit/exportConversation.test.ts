import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONVERSATION_FORMAT_VERSION, ID_PATTERN, type Conversation } from '../../src/history/conversationFormat';
import { EXPORT_KIND, exportJson, MAX_IMPORT_BYTES, parseImport } from '../../src/history/exportJson';
import { conversationMarkdown, exportFileName } from '../../src/history/exportMarkdown';

const CREATED = Date.UTC(2025, 2, 14, 9, 30);

/** A conversation with one of everything the transcript has to say. */
function sample(): Conversation {
  return {
    id: 'conv-1',
    createdAt: CREATED,
    updatedAt: CREATED + 60_000,
    model: { endpoint: 'Ollama', model: 'qwen3:8b' },
    messages: [
      {
        id: 'u1',
        role: 'user',
        text: 'Why does `add` print 5?',
        state: 'done',
        context: [{ kind: 'selection', label: 'sample.py:1-4', detail: 'src/sample.py:1-4', text: 'def add(a, b): …', tokens: 1234 }],
      },
      {
        id: 'a1',
        role: 'assistant',
        text: '',
        state: 'done',
        thinking: 'The user asks about add.\n\nLook at the file first.',
      },
      {
        id: 't1',
        role: 'tool',
        text: '',
        state: 'done',
        tool: {
          name: 'read_file',
          server: 'filesystem',
          arguments: '{\n  "path": "src/sample.py"\n}',
          state: 'done',
          durationMs: 120,
          result: { text: 'def add(a, b):\n    return a + b', isError: false, truncated: { originalBytes: 200_000, keptBytes: 4096 } },
        },
        call: { id: 'call-1' },
      },
      {
        id: 'a2',
        role: 'assistant',
        text: 'It returns `a + b`, so `add(2, 3)` is **5** [1].',
        state: 'done',
        metrics: { firstTokenMs: 420, tokensPerSecond: 31.52, promptTokens: 120, completionTokens: 38 },
        sources: [{ url: 'https://docs.python.org/3/tutorial/', title: 'The [Python] Tutorial' }],
      },
      { id: 'u2', role: 'user', text: 'Show it in TypeScript', state: 'done' },
      { id: 'a3', role: 'assistant', text: 'Here:\n\n```ts\nconst add = (a: number, b: number) =>', state: 'stopped' },
    ],
  };
}

const EXPECTED = `# Why does \\\`add\\\` print 5?

- Date: 2025-03-14 09:30 UTC
- Model: qwen3:8b (Ollama)

## Question

Why does \`add\` print 5?

Context:

- Selection: src/sample.py:1-4 (1,234 tokens)

## Answer

> **Thinking**
>
> The user asks about add.
>
> Look at the file first.

### Tool call: \`read_file\` on filesystem (done, 120 ms)

Arguments:

\`\`\`json
{
  "path": "src/sample.py"
}
\`\`\`

Result:

\`\`\`
def add(a, b):
    return a + b
\`\`\`

*The result was cut: 4 KB of 195 KB kept.*

## Answer

It returns \`a + b\`, so \`add(2, 3)\` is **5** [1].

Sources:

1. [The Python Tutorial](<https://docs.python.org/3/tutorial/>)

*0.42 s to first token · 31.5 tokens/s · 120 in · 38 out*

## Question

Show it in TypeScript

## Answer

Here:

\`\`\`ts
const add = (a: number, b: number) =>
\`\`\`

*Stopped: the answer was stopped before it was finished.*
`;

describe('Export conversation: the Markdown transcript', () => {
  it('has the title, date and model; each question with its context; thinking, tool calls, sources, metrics; how an answer ended', () => {
    assert.equal(conversationMarkdown(sample()), EXPECTED);
  });

  it('closes a code block the answer was cut inside, so the rest of the transcript is not swallowed by it', () => {
    const md = conversationMarkdown(sample());
    const afterStop = md.slice(md.indexOf('const add'));
    assert.match(afterStop, /\n```\n\n\*Stopped/);
  });

  it('says when an answer failed, was interrupted, or reached the token limit', () => {
    const c = sample();
    c.messages = [
      { id: 'u', role: 'user', text: 'q', state: 'done' },
      {
        id: 'e',
        role: 'assistant',
        text: 'Partial',
        state: 'error',
        error: { message: 'The server closed the connection *early*.', actions: [] },
      },
      { id: 'i', role: 'assistant', text: 'Half', state: 'interrupted' },
      { id: 'l', role: 'assistant', text: 'Long', state: 'done', cut: 'length' },
    ];
    const md = conversationMarkdown(c);
    assert.ok(md.includes('Partial\n\n**Error:** The server closed the connection \\*early\\*.'), md);
    assert.ok(md.includes('Half\n\n*Interrupted: VS Code closed while this answer was being written.*'), md);
    assert.ok(md.includes('Long\n\n*The answer stops here: it reached the model’s token limit.*'), md);
  });

  it('keeps a failed tool call and its error, with a fence longer than any backticks inside', () => {
    const c = sample();
    c.messages = [
      {
        id: 't',
        role: 'tool',
        text: '',
        state: 'done',
        tool: { name: 'run', arguments: 'not json', state: 'error', result: { text: 'bad ``` input', isError: true } },
      },
    ];
    const md = conversationMarkdown(c);
    assert.ok(
      md.includes('### Tool call: `run` (failed)\n\nArguments:\n\n```\nnot json\n```\n\nResult (an error):\n\n````\nbad ``` input\n````'),
      md,
    );
  });

  it('names the file after the title, without characters file systems refuse', () => {
    assert.equal(exportFileName({ title: 'Fix a/b: why? <now>', messages: [] }, 'md'), 'Fix a b why now.md');
    assert.equal(exportFileName({ messages: [] }, 'json'), 'New chat.json');
    assert.equal(exportFileName({ title: '...', messages: [] }, 'md'), 'conversation.md');
  });
});

describe('Export and import as JSON', () => {
  it('round-trips: the import is the same conversation under a new id', () => {
    const original = sample();
    original.title = 'Adding numbers';
    const text = exportJson(original, CREATED + 120_000);
    const envelope = JSON.parse(text);
    assert.equal(envelope.kind, EXPORT_KIND);
    assert.equal(envelope.version, CONVERSATION_FORMAT_VERSION);
    assert.equal(envelope.exportedAt, '2025-03-14T09:32:00.000Z');
    const imported = parseImport(text);
    assert.ok(imported.ok, !imported.ok ? imported.reason : '');
    assert.notEqual(imported.conversation.id, original.id);
    assert.match(imported.conversation.id, ID_PATTERN);
    assert.equal(imported.conversation.title, 'Adding numbers (imported)', 'told apart from the original in the history list');
    assert.deepEqual({ ...imported.conversation, id: original.id, title: original.title }, original);
    const again = parseImport(exportJson(imported.conversation, CREATED));
    assert.ok(again.ok);
    assert.equal(again.conversation.title, 'Adding numbers (imported)', 'not "(imported) (imported)"');
  });

  it('gives every import its own id, so importing twice never overwrites the first', () => {
    const text = exportJson(sample(), CREATED);
    const a = parseImport(text);
    const b = parseImport(text);
    assert.ok(a.ok && b.ok);
    assert.notEqual(a.conversation.id, b.conversation.id);
  });

  it('reads an answer that was still streaming as interrupted', () => {
    const c = sample();
    c.messages.push({ id: 'a4', role: 'assistant', text: 'so far', state: 'streaming' });
    const imported = parseImport(exportJson(c, CREATED));
    assert.ok(imported.ok);
    assert.equal(imported.conversation.messages.at(-1)?.state, 'interrupted');
  });

  const exported = () => JSON.parse(exportJson(sample(), CREATED));
  const refused = (value: unknown): string => {
    const result = parseImport(typeof value === 'string' ? value : JSON.stringify(value));
    assert.equal(result.ok, false, 'the file should be refused');
    return (result as { reason: string }).reason;
  };

  it('refuses what is not an export, saying what is wrong', () => {
    assert.match(refused('{ "kind": '), /not valid JSON/);
    assert.match(refused([1, 2]), /not a Model Chat conversation export/);
    assert.match(refused({ version: 1, conversation: sample() }), /not a Model Chat conversation export/);
  });

  it('refuses a wrong version: a newer one says so', () => {
    assert.match(refused({ ...exported(), version: 3 }), /format version 3 by a newer version of the extension/);
    assert.match(refused({ ...exported(), version: 'one' }), /unknown format version "one"/);
    const { version: _, ...noVersion } = exported();
    assert.match(refused(noVersion), /no format version/);
  });

  it('refuses huge strings, huge files and deep nesting before they reach the store', () => {
    const big = exported();
    big.conversation.messages[0].text = 'x'.repeat(4_000_001);
    assert.match(refused(big), /conversation\.messages\[0\]\.text is 4,000,001 characters long/);
    const title = exported();
    title.conversation.title = 't'.repeat(501);
    assert.match(refused(title), /the title is longer than 500 characters/);
    assert.match(refused(' '.repeat(MAX_IMPORT_BYTES + 1)), /more than the 32 MB an export can be/);
    const deep = exported();
    let nest: Record<string, unknown> = {};
    deep.conversation.messages[2].call.extra = nest;
    for (let i = 0; i < 40; i++) nest = nest.next = {};
    assert.match(refused(deep), /nested more than 32 levels deep/);
  });

  it('refuses bad ids: the conversation, a message, a duplicate message', () => {
    assert.match(refused({ ...exported(), conversation: { ...exported().conversation, id: '../../evil' } }), /no valid id/);
    const message = exported();
    message.conversation.messages[1].id = '<img src=x onerror=alert(1)>';
    assert.match(refused(message), /message 1 has an invalid id/);
    const twice = exported();
    twice.conversation.messages[1].id = twice.conversation.messages[0].id;
    assert.match(refused(twice), /message 1 has the same id as an earlier one/);
  });

  it('refuses a malformed message the way a stored file is refused', () => {
    const bad = exported();
    bad.conversation.messages[0].role = 'system';
    assert.match(refused(bad), /message 0: unknown role "system"/);
  });
});
