/**
 * MCP prompts as the message box's `/` commands: the page asks for the list when `/` is typed (servers start for
 * it), gets it again whenever a server's lists change, and sends the chosen prompt with its arguments; the host
 * gets it (prompts/get) and sends back the text for the box, its embedded resources going to the chips.
 */
import type * as vscode from 'vscode';
import type { HostToWebview } from '../../shared/protocol';
import type { ContextAttachment } from '../../streaming/chat/contextPrompt';
import { getPrompt, listPrompts } from '../../tools/mcp/prompts';
import type { McpClients } from '../../tools/mcp/resources';
import { DisposableStore, toDisposable, type IDisposable } from '../../shared/disposable';
import type { Event } from '../../shared/event';
import type { MessageRouter } from '../view/messageRouter';

export interface McpPromptsDeps {
  clients: McpClients;
  startServers(): Promise<void>;
  onDidChangeLists: Event<void>;
  attach(items: Array<{ id: string; attachment: ContextAttachment }>): void;
  log: vscode.LogOutputChannel;
}

/** Servers change state in bursts (starting, running, their tools listed): one listing for the lot. */
const RESEND_DELAY_MS = 200;

export class McpPrompts {
  constructor(private readonly deps: McpPromptsDeps) {}

  /** One page's `/` menu; a prompt's resources go to that page's chat (`attach`). */
  register(
    router: MessageRouter,
    post: (message: HostToWebview) => void,
    attach: McpPromptsDeps['attach'] = this.deps.attach,
  ): IDisposable {
    const store = new DisposableStore();
    /** The first listing, servers starting: changes meanwhile wait for it (else the page hears "no prompts" first). */
    let loading: Promise<void> | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const send = async () => {
      const { prompts, problems } = await listPrompts(this.deps.clients);
      for (const p of problems) this.deps.log.warn(p);
      post({ type: 'prompts', prompts });
    };
    store.add(
      router.on('listPrompts', () => {
        loading = this.deps
          .startServers()
          .then(send)
          .catch((e: unknown) => this.deps.log.warn(`Listing MCP prompts failed: ${(e as Error).message}`));
      }),
    );
    store.add(
      this.deps.onDidChangeLists(() => {
        const after = loading;
        if (!after) return;
        clearTimeout(timer);
        timer = setTimeout(() => void after.then(send).catch(() => {}), RESEND_DELAY_MS);
      }),
    );
    store.add(toDisposable(() => clearTimeout(timer)));
    store.add(router.on('usePrompt', (m) => void this.use(m.server, m.name, m.arguments, post, attach)));
    return store;
  }

  private async use(
    server: string,
    name: string,
    args: Record<string, string>,
    post: (message: HostToWebview) => void,
    attach: McpPromptsDeps['attach'],
  ): Promise<void> {
    try {
      const filled = await getPrompt(this.deps.clients, server, name, args);
      attach(filled.attachments.map((attachment, i) => ({ id: `mcp-prompt:${server}:${name}:${i}`, attachment })));
      post({ type: 'promptFilled', text: filled.text });
    } catch (e) {
      const message = (e as Error).message;
      this.deps.log.warn(message);
      post({ type: 'notice', text: message });
    }
  }
}
