import { decodeDelta, type HostToWebview } from '../shared/protocol';
import { Composer } from './panels/composer';
import { ImageAttachments } from './panels/imageAttach';
import { ContextBar } from './panels/contextBar';
import { el } from './dom';
import { acceptFileDrops } from './panels/dropTarget';
import { EmptyState } from './panels/emptyState';
import { Header } from './panels/header';
import { HistoryPanel } from './panels/historyPanel';
import { routeLinksToHost } from './links';
import { connectHost } from './hostApi';
import { createMarkdown } from './markdown/markdown';
import { MessageList } from './messages/messageList';
import { NoticeBar } from './panels/noticeBar';
import { ElicitationForms } from './messages/elicitationForm';
import { ToolsMenu } from './panels/toolsMenu';
import { EditReviewBar } from './messages/editReviewBar';
import { TurnUndoButtons } from './messages/turnUndo';
import { SlashCommands } from './panels/slashCommands';

const host = connectHost();
/** Enter while an answer is being written sends nothing; the text stays in the box. */
const STILL_ANSWERING =
  'The answer is still being written. Your message stays here: send it when the answer ends, or press Escape to stop.';
/** The same, in an edit of an earlier question (there Escape cancels the edit; the Stop button stops the answer). */
const STILL_ANSWERING_EDIT =
  'The answer is still being written. Your edit stays here: send it when the answer ends, or stop the answer first.';
/** Said while an answer ran: once no answer runs (it ended, or another conversation is shown), Enter sends. */
function hideStillAnswering(busy: boolean): void {
  if (!busy && (notice.showing(STILL_ANSWERING) || notice.showing(STILL_ANSWERING_EDIT))) notice.hide();
}
const md = createMarkdown();
const app = document.getElementById('app')!;

const header = new Header({
  selectModel: () => host.post({ type: 'selectModel' }),
  toggleHistory: () => historyPanel.toggle(),
  newChat: () => {
    historyPanel.close();
    host.post({ type: 'newChat' });
    composer.focus();
  },
});

const emptyState = new EmptyState({
  action: (action) => host.post({ type: 'setupAction', action }),
  ask: (text, withActiveFile) => {
    if (composer.isBusy) return;
    if (withActiveFile) host.post({ type: 'toggleContext', id: 'activeFile', enabled: true });
    composer.ask(text);
  },
});

// The message area: the empty state (placed first, so the list shows it instead of itself while there are
// no messages), the list, and the history panel over both while open (CSS hides the others meanwhile).
const body = el('div', 'view-body');
body.append(emptyState.element);

const list = new MessageList(
  {
    md,
    onErrorAction: (messageId, index) => host.post({ type: 'errorAction', messageId, index }),
    onNoteAction: (messageId, index) => host.post({ type: 'noteAction', messageId, index }),
    onUndoSummary: (id) => host.post({ type: 'undoSummary', id }),
    code: {
      copy: (text) => host.post({ type: 'copyText', text }),
      insert: (text) => host.post({ type: 'insertCode', text }),
      apply: ({ text, info, before, pre }) =>
        host.post({ type: 'applyCode', text, info, before, messageId: pre.closest<HTMLElement>('article[data-id]')?.dataset.id }),
    },
    tools: {
      approve: (id, decision) => host.post({ type: 'toolApproval', id, decision }),
      cancel: (id) => host.post({ type: 'cancelTool', id }),
      openFullResult: (fileId) => host.post({ type: 'openToolResult', fileId }),
      openResource: (server, uri) => host.post({ type: 'openResource', server, uri }),
      attachResource: (server, uri, name) => host.post({ type: 'attachResource', server, uri, name }),
    },
    actions: {
      copy: (id) => host.post({ type: 'copyMessage', id }),
      edit: (id, text) => host.post({ type: 'editMessage', id, text }),
      regenerate: (id) => host.post({ type: 'regenerate', id }),
      continue: (id) => host.post({ type: 'continue', id }),
      editChanged: (id, text) => host.saveState({ ...host.state(), editing: text === undefined ? undefined : { id, text } }),
      editRefusedWhileBusy: () => notice.show(STILL_ANSWERING_EDIT),
    },
  },
  (detail) => {
    host.post({ type: 'log', level: 'error', message: `Stream sequence gap (a bug): ${detail}; asking for a fresh copy` });
    host.post({ type: 'ready' });
  },
  { empty: emptyState.element },
);

const historyPanel = new HistoryPanel({
  search: (query) => host.post({ type: 'history', query }),
  open: (id) => {
    host.post({ type: 'openConversation', id });
    composer.focus();
  },
  openInEditor: (id) => host.post({ type: 'openInEditor', id }),
  rename: (id, title) => host.post({ type: 'renameConversation', id, title }),
  remove: (id) => host.post({ type: 'deleteConversation', id }),
  openChanged: (open) => {
    header.setHistoryOpen(open);
    body.classList.toggle('history-open', open);
    if (!open && (historyPanel.element.contains(document.activeElement) || document.activeElement === document.body))
      header.historyButton.focus();
  },
});

const contextBar = new ContextBar({
  toggle: (id, enabled) => host.post({ type: 'toggleContext', id, enabled }),
  remove: (id) => host.post({ type: 'removeContext', id }),
  add: () => host.post({ type: 'addContext' }),
});

const composer = new Composer(
  {
    // Images still being prepared (a large paste) are waited for: the question goes with all of them.
    send: (text) => void images.take().then((list) => host.post({ type: 'send', text, ...(list.length ? { images: list } : {}) })),
    stop: () => host.post({ type: 'stop' }),
    draftChanged: (draft) => {
      host.saveState({ ...host.state(), draft });
      contextBar.setDraft(draft);
    },
    sentChanged: (sent) => host.saveState({ ...host.state(), sent }),
    refusedWhileBusy: () => notice.show(STILL_ANSWERING),
  },
  host.state().draft ?? '',
  host.state().sent ?? [],
  contextBar.element,
);
contextBar.setDraft(composer.input.value);

// `/` in the message box: the MCP servers' prompts.
const slash = new SlashCommands(composer, {
  list: () => host.post({ type: 'listPrompts' }),
  use: (server, name, args) => host.post({ type: 'usePrompt', server, name, arguments: args }),
});
const images = new ImageAttachments(
  {
    attach: () => host.post({ type: 'attachImage' }),
    problem: (text) => notice.show(text),
    changed: () => contextBar.setDraftImages(images.tokens),
  },
  composer.input,
);
contextBar.element.after(images.element);
composer.addButton(images.attachButton);

const notice = new NoticeBar(
  (id) => host.post({ type: 'noticeAction', id }),
  (hadFocus) => {
    if (hadFocus) composer.focus();
  },
);

// A server's forms go next to the tool card that asked, inside the message list.
const elicitations = new ElicitationForms(list.element, (id, action, content) =>
  host.post({ type: 'elicitationAnswer', id, action, ...(content ? { content } : {}) }),
);

// Proposed changes wait above the message box; an answer's changes can be undone from the answer.
const reviewBar = new EditReviewBar({ decide: (action, id) => host.post({ type: 'editReview', action, ...(id ? { id } : {}) }) });
const undoButtons = new TurnUndoButtons(list.element, (messageId) => host.post({ type: 'undoTurn', messageId }));

body.append(list.element, historyPanel.element);
// The tools menu: its button among the header's actions, its panel over the messages while open.
const toolsMenu = new ToolsMenu({
  open: () => host.post({ type: 'toolsMenu' }),
  set: (server, tool, on, scope) => host.post({ type: 'setTool', server, ...(tool === undefined ? {} : { tool }), on, scope }),
});
header.element.querySelector('.header-actions')?.prepend(toolsMenu.button);
app.append(header.element, toolsMenu.element, body, notice.element, reviewBar.element, slash.element, composer.element);

// Escape closes the history from anywhere (the header, the composer when idle); the panel's own handler and
// the composer's Stop mark the key as used first.
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && !e.defaultPrevented && historyPanel.isOpen) historyPanel.close();
});

acceptFileDrops(document.body, composer.element, {
  drop: (uris) => host.post({ type: 'dropFiles', uris }),
  // Files from outside the editor (the desktop, a browser) carry no URI the host could read: images are read here.
  files: (files) => {
    images.addFiles(files);
    return true;
  },
  unreadable: () => notice.show('Those files could not be read. Drag them from the Explorer or an editor tab, holding Shift.'),
});

window.addEventListener('message', (event: MessageEvent<HostToWebview>) => handle(event.data));

function handle(message: HostToWebview): void {
  if (typeof message === 'string') {
    const delta = decodeDelta(message);
    if (delta) list.applyStreamingDelta(delta);
    return;
  }
  switch (message?.type) {
    case 'snapshot':
      list.setBusy(message.busy);
      list.reset(message.messages);
      elicitations.showConversation(message.conversationId);
      // An editor tab is brought back after a reload with the conversation named in its state.
      if (message.conversationId !== host.state().conversationId)
        host.saveState({ ...host.state(), conversationId: message.conversationId });
      {
        // An edit that was open when the view was hidden (and so reloaded) comes back with its text.
        const editing = host.state().editing;
        if (editing && !list.resumeEdit(editing.id, editing.text) && !message.messages.some((m) => m.id === editing.id))
          host.saveState({ ...host.state(), editing: undefined });
      }
      hideStillAnswering(message.busy);
      composer.setBusy(message.busy);
      header.showModel(message.model);
      images.setProvider(message.model.provider);
      return;
    case 'messageAdded':
      return list.add(message.message);
    case 'delta':
      list.applyDelta(message);
      return;
    case 'status':
      return list.setStatus(message.id, message.status);
    case 'toolUpdate':
      return list.updateTool(message.id, message.tool);
    case 'warning':
      return list.setWarning(message.id, message.warning);
    case 'note':
      return list.setNote(message.id, message.note);
    case 'busy':
      list.setBusy(message.busy);
      hideStillAnswering(message.busy);
      return composer.setBusy(message.busy);
    case 'thinking':
      return list.appendThinking(message.id, message.text);
    case 'sources':
      return list.setSources(message.id, message.sources);
    case 'model':
      images.setProvider(message.model.provider);
      return header.showModel(message.model);
    case 'imageFile':
      return images.addBase64(message.name, message.data);
    case 'focusInput':
      historyPanel.close();
      return composer.focus();
    case 'sendRefused':
      composer.restore(message.text);
      images.restore();
      return;
    case 'context':
      return contextBar.show(message.chips, message.meter);
    case 'history':
      return historyPanel.show(message.items, message.query, message.activeId);
    case 'setup':
      return emptyState.show(message.setup);
    case 'notice':
      return notice.show(message.text, message.action);
    case 'elicitation':
      return elicitations.show(message.request);
    case 'elicitationDone':
      return elicitations.done(message.id);
    case 'toolsMenu':
      return toolsMenu.show(message);
    case 'editReviews':
      return reviewBar.show(message.reviews);
    case 'turnChanges':
      return undoButtons.show(message.turns);
    case 'prompts':
      return slash.setPrompts(message.prompts);
    case 'promptFilled':
      return slash.filled(message.text);
    case 'batch':
      for (const m of message.messages) handle(m);
      return;
  }
}

// Links open through the host, never by navigating the webview nor by VS Code's own handler.
routeLinksToHost((href) => host.post({ type: 'openLink', href }));

host.post({ type: 'ready' });
composer.focus();
// Several chats can be on screen at once: the host must know which one the user is in (the sidebar's view and an
// already active tab say nothing of it), for the commands that act on "the chat". A click in the page focuses it.
window.addEventListener('focus', () => host.post({ type: 'focused' }));
