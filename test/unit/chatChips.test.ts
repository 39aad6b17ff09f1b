/**
 * Each chat's own chips: what one chat attached or turned on never shows in, or goes with, another chat's question;
 * the editor's readings are the same for all; a chat back at the defaults is forgotten.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatChipsByConversation, type EditorReadings } from '../../src/extension/context/chatChips';
import type { ContextAttachment } from '../../src/streaming/chat/contextPrompt';

const file = (label: string): ContextAttachment => ({ kind: 'file', label, text: `# ${label}\n…`, tokens: 7 });
const editor: EditorReadings = {
  instructionsOn: true,
  instructions: { kind: 'instructions', label: 'AGENTS.md', text: 'Be brief.', tokens: 3 },
  selection: { kind: 'selection', label: 'a.ts:1-2', text: 'x', tokens: 2 },
  activeFile: { kind: 'file', label: 'a.ts', text: 'y', tokens: 5 },
};
const ids = (chips: ReturnType<ReturnType<ChatChipsByConversation<string>['peek']>['chips']>) =>
  chips.map((c) => `${c.id}${c.enabled ? '' : ' (off)'}`);

describe('chips per chat', () => {
  it('a file, a resource or problems attached in one chat show in that chat only', () => {
    const chats = new ChatChipsByConversation<string>();
    chats.of('a').files.set('file:/w/b.md', { key: '/w/b.md', attachment: file('b.md'), enabled: true });
    chats.of('a').fixed.set('mcp:docs:readme', { attachment: file('readme'), enabled: true });
    chats.of('b').problems = { attachment: { kind: 'problems', label: 'Problems (1)', text: 'p', tokens: 4 }, enabled: true };
    assert.deepEqual(ids(chats.peek('a').chips(editor)), [
      'instructions',
      'selection',
      'activeFile (off)',
      'file:/w/b.md',
      'mcp:docs:readme',
    ]);
    assert.deepEqual(ids(chats.peek('b').chips(editor)), ['instructions', 'selection', 'activeFile (off)', 'problems']);
    assert.deepEqual(ids(chats.peek('never-seen').chips(editor)), ['instructions', 'selection', 'activeFile (off)']);
  });

  it('turning the active file on or the selection off is that chat’s choice; the instructions are the window’s', () => {
    const chats = new ChatChipsByConversation<string>();
    assert.ok(chats.of('a').toggle('activeFile', true, undefined));
    assert.ok(chats.of('b').toggle('selection', false, 'file:///w/a.ts'));
    assert.equal(chats.of('b').toggle('instructions', false, undefined), false, 'not a chat’s own');
    assert.deepEqual(ids(chats.peek('a').chips(editor)), ['instructions', 'selection', 'activeFile']);
    assert.deepEqual(ids(chats.peek('b').chips(editor)), ['instructions', 'selection (off)', 'activeFile (off)']);
    assert.deepEqual(ids(chats.peek('a').chips({ ...editor, instructionsOn: false })).slice(0, 1), ['instructions (off)']);
  });

  it('after a question the asking chat’s attachments are gone, another chat’s stay, and a chat at the defaults is forgotten', () => {
    const chats = new ChatChipsByConversation<string>();
    chats.of('a').files.set('file:/w/b.md', { key: '/w/b.md', attachment: file('b.md'), enabled: true });
    chats.of('b').files.set('file:/w/c.py', { key: '/w/c.py', attachment: file('c.py'), enabled: true });
    chats.of('a').afterSend();
    chats.tidy('a');
    chats.tidy('b');
    assert.deepEqual(ids(chats.peek('a').chips({ instructionsOn: true })), []);
    assert.deepEqual(ids(chats.peek('b').chips({ instructionsOn: true })), ['file:/w/c.py']);
    assert.equal(chats.size, 1, 'only the chat with something of its own is kept');
    assert.ok(chats.of('b').remove('file:/w/c.py'));
    assert.equal(chats.of('b').remove('file:/w/c.py'), false, 'already removed');
    chats.tidy('b');
    assert.equal(chats.size, 0);
  });

  it('the chips belong to the conversation: another surface showing it sees them', () => {
    const chats = new ChatChipsByConversation<string>();
    // A surface reads the chips of the conversation it shows now (ContextController.forChat reads the id per call).
    let sidebarShows = 'c1';
    let tabShows = 'c2';
    chats.of('c1').files.set('file:/w/b.md', { key: '/w/b.md', attachment: file('b.md'), enabled: true });
    assert.ok(ids(chats.peek(sidebarShows).chips(editor)).includes('file:/w/b.md'));
    assert.ok(!ids(chats.peek(tabShows).chips(editor)).includes('file:/w/b.md'));
    // Moved to the tab: the sidebar shows a new chat, the tab shows c1.
    [sidebarShows, tabShows] = ['c3', 'c1'];
    assert.ok(ids(chats.peek(tabShows).chips(editor)).includes('file:/w/b.md'));
    assert.ok(!ids(chats.peek(sidebarShows).chips(editor)).includes('file:/w/b.md'));
  });
});
