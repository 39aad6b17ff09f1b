import * as vscode from 'vscode';
import type { HostToWebview, SetupState } from '../../shared/protocol';
import type { ChatProvider, EndpointConfig } from '../../streaming/providers/provider';
import type { ChatSessions } from '../../streaming/chat/chatSessions';
import type { SessionConfig } from '../../streaming/chat/sessionTypes';
import { checkSetup } from '../../streaming/chat/setupState';
import { SUGGESTED_MODEL } from '../../streaming/chat/answerInfo';
import { ChildAbort, Latest } from '../../shared/abort';
import { Disposable, type IDisposable } from '../../shared/disposable';
import { TIMEOUTS } from '../../shared/timeouts';
import { runAction } from '../commands/actions';
import type { MessageRouter } from './messageRouter';

/** The model the empty state offers to pull: one that can use tools (webview/panels/emptyState.ts names it too). */
const SETUP_PULL_MODEL = SUGGESTED_MODEL;

export interface SetupDeps {
  config(): SessionConfig;
  providerFor(endpoint: EndpointConfig): Promise<ChatProvider>;
  sessions: ChatSessions;
  post(message: HostToWebview): void;
  log: vscode.LogOutputChannel;
}

/** Tells the empty chat whether the endpoint answers, so a first run explains what to do; carries out its buttons. */
export class SetupController extends Disposable {
  private last: SetupState | undefined;
  /** Checks are not ordered (view ready, settings change, Retry): only the newest may answer. */
  private readonly checks = new Latest();

  constructor(private readonly deps: SetupDeps) {
    super();
    this.register(vscode.window.onDidChangeActiveTextEditor(() => this.followActiveFile()));
  }

  registerMessages(router: MessageRouter): IDisposable {
    return router.register({
      ready: () => {
        this.deps.post({ type: 'setup', setup: { state: 'checking' } });
        void this.check();
      },
      setupAction: ({ action }) => {
        const { sessions, log } = this.deps;
        if (action.kind === 'retry') return void this.check().then(() => sessions.active.refreshModel());
        // The page names the action, so only the ones the empty state offers are carried out.
        if (
          (action.kind === 'pullModel' && action.model !== SETUP_PULL_MODEL) ||
          (action.kind === 'openSettings' && action.setting !== 'modelChat.endpoints')
        ) {
          return log.warn(`Ignored an empty-state action the page does not offer: ${JSON.stringify(action).slice(0, 200)}`);
        }
        return void runAction(sessions.active, action, log);
      },
    });
  }

  async check(): Promise<void> {
    const { endpoint, model } = this.deps.config();
    const ticket = this.checks.next();
    // A newer check stops this one's request, as does the time limit.
    const abort = new ChildAbort(ticket.signal, TIMEOUTS.setupCheckMs);
    const setup = await checkSetup(endpoint, model, this.deps.providerFor, activeFileName(), abort.signal).finally(() => abort.dispose());
    if (!ticket.isCurrent()) return;
    this.last = setup;
    this.deps.post({ type: 'setup', setup });
  }

  /** The example questions name the open file: follow the editor without asking the server again. */
  private followActiveFile(): void {
    if (this.last?.state !== 'ready') return;
    const activeFile = activeFileName();
    this.last = { ...this.last, activeFile };
    if (!activeFile) delete this.last.activeFile;
    this.deps.post({ type: 'setup', setup: this.last });
  }
}

function activeFileName(): string | undefined {
  const editor = vscode.window.activeTextEditor;
  return editor && editor.document.uri.scheme === 'file' ? editor.document.uri.path.split('/').pop() : undefined;
}
