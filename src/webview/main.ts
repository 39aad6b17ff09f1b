import { decodeDelta, type HostToWebview, type ModelLabel } from '../shared/protocol';
import { Composer } from './composer';
import { connectHost } from './hostApi';
import { createMarkdown } from './markdown';
import { MessageList } from './messageList';

const host = connectHost();
const md = createMarkdown();
const app = document.getElementById('app')!;

const header = document.createElement('header');
const modelButton = document.createElement('button');
modelButton.type = 'button';
modelButton.className = 'model-picker';
modelButton.title = 'Select model';
modelButton.addEventListener('click', () => host.post({ type: 'selectModel' }));
header.append(modelButton);

const list = new MessageList(
  {
    md,
    onErrorAction: (messageId, index) => host.post({ type: 'errorAction', messageId, index }),
    code: {
      copy: (text) => host.post({ type: 'copyText', text }),
      insert: (text) => host.post({ type: 'insertCode', text }),
    },
    naive: document.body.dataset.renderer === 'naive',
    tools: {
      approve: (id, decision) => host.post({ type: 'toolApproval', id, decision }),
      cancel: (id) => host.post({ type: 'cancelTool', id }),
    },
  },
  (detail) => {
    host.post({ type: 'log', level: 'error', message: `Stream sequence gap (a bug): ${detail}; asking for a fresh copy` });
    host.post({ type: 'ready' });
  },
);

const composer = new Composer(
  {
    send: (text) => host.post({ type: 'send', text }),
    stop: () => host.post({ type: 'stop' }),
    draftChanged: (draft) => host.saveState({ ...host.state(), draft }),
    sentChanged: (sent) => host.saveState({ ...host.state(), sent }),
  },
  host.state().draft ?? '',
  host.state().sent ?? [],
);

app.append(header, list.element, composer.element);

function showModel(model: ModelLabel): void {
  modelButton.innerHTML = '<span class="codicon codicon-sparkle" aria-hidden="true"></span> ';
  const label = document.createElement('span');
  label.className = 'label';
  label.textContent = model.model ? `${model.endpoint} · ${model.model}` : `${model.endpoint} · no model yet`;
  const chevron = document.createElement('span');
  chevron.className = 'codicon codicon-chevron-down';
  chevron.setAttribute('aria-hidden', 'true');
  modelButton.append(label, chevron);
  modelButton.setAttribute('aria-label', `Model: ${label.textContent}. Select model`);
}
showModel({ endpoint: 'Model Chat', model: undefined });

window.addEventListener('message', (event: MessageEvent<HostToWebview>) => {
  const message = event.data;
  if (typeof message === 'string') {
    const delta = decodeDelta(message);
    if (delta) list.applyStreamingDelta(delta);
    return;
  }
  switch (message?.type) {
    case 'snapshot':
      list.reset(message.messages);
      composer.setBusy(message.busy);
      showModel(message.model);
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
    case 'busy':
      return composer.setBusy(message.busy);
    case 'model':
      return showModel(message.model);
    case 'focusInput':
      return composer.focus();
    case 'sendRefused':
      composer.restore(message.text);
      return;
  }
});

// Links in model output open through the host, never by navigating the webview.
list.element.addEventListener('click', (e) => {
  const link = (e.target as Element | null)?.closest?.('a[href]');
  if (!link) return;
  e.preventDefault();
  host.post({ type: 'openLink', href: link.getAttribute('href') ?? '' });
});

host.post({ type: 'ready' });
composer.focus();
