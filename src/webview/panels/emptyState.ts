import type { ErrorAction, SetupState } from '../../shared/protocol';
import { SUGGESTED_MODELS } from '../../shared/suggestedModels';
import { codicon, el, textButton } from '../dom';

export interface EmptyStateActions {
  action(action: ErrorAction): void;
  /** An example question; `withActiveFile` asks for the active file to go with it. */
  ask(text: string, withActiveFile: boolean): void;
}

const RETRY: ErrorAction = { kind: 'retry', label: 'Retry' };
const PULL: ErrorAction = { kind: 'pullModel', label: 'Pull qwen3', model: 'qwen3' };
const EDIT_ENDPOINTS: ErrorAction = { kind: 'openSettings', label: 'Edit endpoints', setting: 'modelChat.endpoints' };
const ADD_ENDPOINT: ErrorAction = { kind: 'openSettings', label: 'Add an endpoint', setting: 'modelChat.endpoints' };
const SET_KEY: ErrorAction = { kind: 'setApiKey', label: 'Set API key' };
const SELECT_MODEL: ErrorAction = { kind: 'selectModel', label: 'Select model' };
const USE_BUILT_IN: ErrorAction = { kind: 'useBuiltIn', label: 'Use the built-in engine' };
const ADD_MODEL: ErrorAction = { kind: 'addModel', label: 'Add a model' };
const PICK_FILE: ErrorAction = { kind: 'pickModelFile', label: 'Pick a .gguf file…' };
/** With no server at all, the built-in engine answers from a GGUF file (the extension's platform build). */
const BUILT_IN_HINT = 'Or chat without a server: the built-in engine runs a GGUF model file inside VS Code.';

const GENERAL_QUESTIONS = [
  'How do I write a unit test in TypeScript?',
  'Explain async and await with an example',
  'What makes a good commit message?',
];

/** Text with `code` spans, built from text nodes (host data never becomes HTML). */
type Line = Array<string | { code: string }>;

/**
 * What the chat shows before its first message: whether the model server answers and, once it does, a
 * welcome with a few questions to start from. Everything here is driven by the host's `setup` message.
 */
export class EmptyState {
  readonly element: HTMLElement;

  constructor(private readonly actions: EmptyStateActions) {
    this.element = el('div', 'empty-state');
    this.show(undefined);
  }

  /** `undefined` (a host that never says) shows the plain welcome. */
  show(setup: SetupState | undefined): void {
    this.element.dataset.setup = setup?.state ?? 'unknown';
    this.element.replaceChildren(...this.content(setup));
  }

  private content(s: SetupState | undefined): Node[] {
    switch (s?.state) {
      case 'checking': {
        const p = el('p', 'empty-quiet');
        const spin = codicon('loading');
        spin.classList.add('codicon-modifier-spin');
        p.append(spin, ' Connecting to the model server…');
        return [p];
      }
      case 'noEndpoint':
        return [
          heading('plug', 'No model server set up'),
          para([
            'Model Chat talks to Ollama on this machine or to any OpenAI-compatible server. Add one under ',
            { code: 'modelChat.endpoints' },
            '.',
          ]),
          para([BUILT_IN_HINT]),
          this.buttons([USE_BUILT_IN, ADD_ENDPOINT]),
        ];
      case 'unreachable':
        if (s.kind === 'embedded') {
          return [heading('debug-disconnect', 'The built-in engine cannot read its models folder.'), this.buttons([RETRY, ADD_MODEL])];
        }
        if (s.kind === 'ollama') {
          return [
            heading('debug-disconnect', `Can't reach Ollama at ${s.url}.`),
            steps([
              ['Install Ollama from ollama.com and start it (', { code: 'ollama serve' }, ').'],
              ['Pull a model that can use tools (', { code: 'ollama pull qwen3' }, ').'],
              ['Or use an OpenAI-compatible server: edit the endpoints.'],
            ]),
            para([BUILT_IN_HINT]),
            this.buttons([RETRY, USE_BUILT_IN, PULL, EDIT_ENDPOINTS]),
          ];
        }
        return [
          heading('debug-disconnect', `Can't reach ${s.endpoint} at ${s.url}.`),
          para([
            'Check that the server is running and the URL is right. If it needs a key, set one (it is kept in VS Code\u2019s secret storage).',
          ]),
          para([BUILT_IN_HINT]),
          this.buttons([RETRY, USE_BUILT_IN, EDIT_ENDPOINTS, SET_KEY]),
        ];
      case 'noModels':
        if (s.kind === 'embedded') {
          return [
            heading('inbox', 'The built-in engine has no model yet.'),
            para(['Download a suggested small model (once; it stays on this machine) or pick a ', { code: '.gguf' }, ' file you have.']),
            this.suggestions(),
            this.buttons([PICK_FILE, SELECT_MODEL]),
          ];
        }
        return [
          heading('inbox', `${s.endpoint} has no models yet.`),
          s.kind === 'ollama'
            ? para(['Pull one that can use tools, e.g. ', { code: 'ollama pull qwen3' }, ', then retry.'])
            : para(['Load or deploy a model on the server at ', { code: s.url }, ', then retry.']),
          // Pulling is an Ollama command; an OpenAI-compatible server loads models its own way.
          this.buttons(s.kind === 'ollama' ? [PULL, RETRY, SELECT_MODEL] : [RETRY, SELECT_MODEL]),
        ];
      default:
        return this.welcome(s?.state === 'ready' ? s : undefined);
    }
  }

  private welcome(s: Extract<SetupState, { state: 'ready' }> | undefined): Node[] {
    const title = heading('comment-discussion', s ? `Ask ${s.model} anything` : 'Ask anything');
    const hint = el('p', 'empty-hint');
    hint.append(kbd('Enter'), ' sends, ', kbd('Shift'), '+', kbd('Enter'), ' adds a line, ', kbd('↑'), ' brings back your last question.');
    const file = s?.activeFile;
    const questions = file ? [`Explain what ${file} does`, `Find bugs in ${file}`, `Suggest tests for ${file}`] : GENERAL_QUESTIONS;
    const list = el('div', 'examples');
    list.setAttribute('role', 'group');
    list.setAttribute('aria-label', 'Example questions');
    for (const q of questions) {
      const b = textButton(q, 'example');
      b.prepend(codicon(file ? 'file' : 'lightbulb'));
      b.addEventListener('click', () => this.actions.ask(q, !!file));
      list.append(b);
    }
    const drop = el('p', 'empty-hint');
    drop.append('Hold ', kbd('Shift'), ' while dragging files here to attach them.');
    return [title, hint, list, drop];
  }

  /** The suggested first models, each a row with what it is and a Download button (the host looks the URL up). */
  private suggestions(): HTMLElement {
    const list = el('ul', 'suggested-models');
    list.setAttribute('aria-label', 'Suggested models');
    for (const m of SUGGESTED_MODELS) {
      const row = el('li', 'suggested-model');
      const about = el('div', 'suggested-about');
      const name = el('span', 'suggested-name', m.name);
      about.append(name, ' ', el('span', 'suggested-size', m.size), el('div', 'suggested-can', m.can));
      const download = textButton('Download', 'secondary');
      download.setAttribute('aria-label', `Download ${m.name} (${m.size})`);
      download.prepend(codicon('cloud-download'));
      download.addEventListener('click', () => this.actions.action({ kind: 'downloadModel', label: 'Download', model: m.name }));
      row.append(about, download);
      list.append(row);
    }
    return list;
  }

  private buttons(actions: ErrorAction[]): HTMLElement {
    const row = el('div', 'actions');
    actions.forEach((a, i) => {
      const b = textButton(a.label, i === 0 ? 'primary' : 'secondary');
      b.addEventListener('click', () => this.actions.action(a));
      row.append(b);
    });
    return row;
  }
}

function heading(icon: string, text: string): HTMLElement {
  const h = el('h2', 'empty-title');
  h.append(codicon(icon), el('span', undefined, text));
  return h;
}

function para(line: Line): HTMLElement {
  return fill(el('p'), line);
}

function steps(lines: Line[]): HTMLElement {
  const ol = el('ol', 'steps');
  for (const line of lines) ol.append(fill(el('li'), line));
  return ol;
}

function fill(node: HTMLElement, line: Line): HTMLElement {
  node.append(...line.map((part) => (typeof part === 'string' ? part : el('code', undefined, part.code))));
  return node;
}

function kbd(key: string): HTMLElement {
  return el('kbd', undefined, key);
}
