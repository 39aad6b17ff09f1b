/**
 * Tool calls written as text: the published outputs of qwen and llama models (test/fixtures/textToolCalls,
 * each with its issue) become calls whose text is not shown, however the stream splits them; prose, code
 * blocks and JSON that is not a call are shown, and as they stream, not only at the end.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_UNDECIDED, TextToolCallFilter } from '../../src/tools/textToolCalls/textToolCallFilter';
import { textToolHistory, toolsPrompt } from '../../src/tools/textToolCalls/toolsPrompt';
import { notCalls, publishedCalls } from '../fixtures/textToolCalls/publishedCalls';

function run(tools: string[], text: string, size: number) {
  const filter = new TextToolCallFilter(tools);
  let shown = '';
  for (let i = 0; i < text.length; i += size) shown += filter.push(text.slice(i, i + size));
  const end = filter.end();
  return { shown: shown + end.text, calls: end.calls };
}

describe('text tool calls: published model outputs', () => {
  for (const c of publishedCalls) {
    for (const size of [1, 3, 7, 10_000]) {
      it(`${c.model} (${c.source}) in pieces of ${size}`, () => {
        const { shown, calls } = run(c.tools, c.text, size);
        assert.equal(shown.trim(), '');
        assert.deepEqual(calls, c.calls);
      });
    }
  }

  it('the same output is text when its tool was not offered', () => {
    for (const c of publishedCalls.filter((p) => !p.text.startsWith('<tool_call>'))) {
      const { shown, calls } = run(['something_else'], c.text, 5);
      assert.equal(shown, c.text, c.source);
      assert.deepEqual(calls, []);
    }
  });

  for (const c of notCalls) {
    it(`prose with JSON stays text: ${JSON.stringify(c.text)}`, () => {
      const { shown, calls } = run(c.tools, c.text, 2);
      assert.equal(shown, c.text);
      assert.deepEqual(calls, []);
    });
  }
});

describe('text tool calls: what is shown while streaming', () => {
  const tools = ['get_current_temperature', 'read_file'];

  it('prose before a Hermes call is shown, the call is not, and several calls are all kept', () => {
    const text =
      'I\'ll look it up.\n<tool_call>\n{"name": "get_current_temperature", "arguments": {"city": "Paris"}}\n</tool_call>\n' +
      '<tool_call>\n{"name": "read_file", "arguments": {"path": "a.txt"}}\n</tool_call>';
    for (const size of [1, 4, 50]) {
      const { shown, calls } = run(tools, text, size);
      assert.equal(shown, "I'll look it up.\n");
      assert.deepEqual(
        calls.map((c) => c.name),
        ['get_current_temperature', 'read_file'],
      );
    }
  });

  it('says when what it holds is a call being written, and not for a code block that may still be one', () => {
    const filter = new TextToolCallFilter(tools);
    filter.push('```json\n{"name": "read_f');
    assert.equal(filter.writingCall, false, 'not clear yet');
    filter.push('ile", "arguments": {"pa');
    assert.equal(filter.writingCall, true);
    const hermes = new TextToolCallFilter(tools);
    hermes.push('<tool_');
    assert.equal(hermes.writingCall, false);
    hermes.push('call>\n{');
    assert.equal(hermes.writingCall, true);
  });

  it('prose is shown at once, not held to the end of the line', () => {
    const filter = new TextToolCallFilter(tools);
    assert.equal(filter.push('Hello wor'), 'Hello wor');
    assert.equal(filter.push('ld.\nNext'), 'ld.\nNext');
  });

  it('a json code block that is not a call is released as soon as its first key rules a call out', () => {
    const filter = new TextToolCallFilter(tools);
    let shown = filter.push('Config:\n```json\n{"port"');
    assert.equal(shown, 'Config:\n', 'held while it could be a call');
    shown += filter.push(': 80,');
    assert.equal(shown, 'Config:\n```json\n{"port": 80,');
    shown += filter.push('\n "host": "x"}\n```\nDone.');
    shown += filter.end().text;
    assert.equal(shown, 'Config:\n```json\n{"port": 80,\n "host": "x"}\n```\nDone.');
  });

  it('a tag or a call inside an ordinary code block is left alone', () => {
    const text =
      'The format:\n```xml\n<tool_call>\n{"name": "read_file", "arguments": {"path": "a"}}\n</tool_call>\n```\nand code:\n```\nlet x = {"name": 1};\n```\n';
    for (const size of [1, 6, 1000]) {
      const { shown, calls } = run(tools, text, size);
      assert.equal(shown, text);
      assert.deepEqual(calls, []);
    }
  });

  it('an answer that starts with prose is never a bare JSON call', () => {
    const text = 'Sure:\n{"name": "read_file", "arguments": {"path": "a"}}';
    const { shown, calls } = run(tools, text, 3);
    assert.equal(shown, text);
    assert.deepEqual(calls, []);
  });

  it('holds at most MAX_UNDECIDED characters of what may be a call', () => {
    const filter = new TextToolCallFilter(tools);
    // A Hermes block naming no tool, with a long body: released once past the bound, before its end.
    const long = `<tool_call>\n{"name": "nope", "arguments": {"text": "${'x'.repeat(MAX_UNDECIDED * 2)}`;
    let shown = '';
    for (let i = 0; i < long.length; i += 100) shown += filter.push(long.slice(i, i + 100));
    assert.ok(long.length - shown.length <= MAX_UNDECIDED, `held ${long.length - shown.length}`);
    assert.ok(shown.startsWith('<tool_call>'));
  });

  it('a Hermes block without its closing tag at the end is still a call', () => {
    const { shown, calls } = run(tools, '<tool_call>\n{"name": "read_file", "arguments": {"path": "b"}}\n', 5);
    assert.equal(shown, '');
    assert.deepEqual(calls, [{ name: 'read_file', arguments: { path: 'b' } }]);
  });

  it('arguments written as a JSON string are parsed; malformed ones stay a string for the card to report', () => {
    const ok = run(tools, '<tool_call>{"name": "read_file", "arguments": "{\\"path\\": \\"c\\"}"}</tool_call>', 4);
    assert.deepEqual(ok.calls, [{ name: 'read_file', arguments: { path: 'c' } }]);
    const bad = run(tools, '<tool_call>{"name": "read_file", "arguments": "{path: c"}</tool_call>', 4);
    assert.deepEqual(bad.calls, [{ name: 'read_file', arguments: '{path: c' }]);
  });
});

describe('tools described in the prompt', () => {
  const a = { name: 'b_tool', description: 'B', inputSchema: { type: 'object', properties: { x: { type: 'string' } } } };
  const b = { name: 'a_tool', inputSchema: { type: 'object' } };

  it('is the same bytes whatever order the servers list the tools in', () => {
    assert.equal(toolsPrompt([a, b]), toolsPrompt([b, a]));
    const lines = toolsPrompt([a, b]).split('\n');
    assert.deepEqual(JSON.parse(lines.at(-2)!), { name: 'a_tool', parameters: { type: 'object' } });
    assert.equal(JSON.parse(lines.at(-1)!).name, 'b_tool');
  });

  it('a call and its results in history become the text the model would have written and read', () => {
    const history = textToolHistory([
      { role: 'user', content: 'q' },
      {
        role: 'assistant',
        content: 'Let me see.',
        toolCalls: [
          { id: 'c1', name: 'a_tool', arguments: { x: 1 } },
          { name: 'b_tool', arguments: {} },
        ],
      },
      { role: 'tool', content: 'one', toolName: 'a_tool', toolCallId: 'c1' },
      { role: 'tool', content: 'two', toolName: 'b_tool' },
      { role: 'assistant', content: 'Done.' },
    ]);
    assert.deepEqual(
      history.map((m) => m.role),
      ['user', 'assistant', 'user', 'assistant'],
    );
    assert.equal(
      history[1].content,
      'Let me see.\n<tool_call>\n{"name":"a_tool","arguments":{"x":1}}\n</tool_call>\n<tool_call>\n{"name":"b_tool","arguments":{}}\n</tool_call>',
    );
    assert.equal(
      history[2].content,
      '<tool_response name="a_tool">\none\n</tool_response>\n<tool_response name="b_tool">\ntwo\n</tool_response>',
    );
    // What it wrote parses back into the same calls.
    const again = run(['a_tool', 'b_tool'], history[1].content, 3);
    assert.deepEqual(
      again.calls.map((c) => c.name),
      ['a_tool', 'b_tool'],
    );
  });
});
