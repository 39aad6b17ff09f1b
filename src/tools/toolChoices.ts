/**
 * Which tools a conversation offers the model: the user turns servers and single tools on and off in the
 * chat, for this conversation, for the workspace, or everywhere. Off everywhere is the user's own choice and
 * wins: neither the workspace's nor a conversation's choice turns on what the user turned off everywhere
 * (the same rule as for approval: nothing kept per workspace loosens what the user decided). Every tool not
 * offered costs no prompt tokens and cannot be called (a call to it is answered as unknown).
 */
import type { ToolMenuEntry, ToolsMenu } from '../shared/protocol';
import { estimateTokens } from '../shared/tokens';
import type { ToolDescriptor, ToolSupport } from './toolSupport';
import { toolDefinition } from './textToolCalls/toolsPrompt';

export type ToolScope = 'conversation' | 'workspace' | 'user';

/** Where the choices are kept: the host backs these with globalState, workspaceState and the conversation. */
export interface ToolChoiceStore {
  /** Keys turned off everywhere (globalState). */
  userOff(): readonly string[];
  setUserOff(keys: string[]): void;
  /** Keys turned off in this workspace (workspaceState). */
  workspaceOff(): readonly string[];
  setWorkspaceOff(keys: string[]): void;
  /** A conversation's own on/off choices, which override the workspace's. */
  conversation(id: string): Readonly<Record<string, boolean>>;
  setConversation(id: string, choices: Record<string, boolean>): void;
}

/** A server's key, and a tool's (its server's name and its own). */
export const serverKey = (server: string): string => server;
export const toolKey = (tool: Pick<ToolDescriptor, 'name' | 'server'>): string => `${tool.server ?? ''}/${tool.name}`;

/** What a tool's definition costs in the prompt: the same estimate as everywhere else, from its JSON. */
export function toolTokens(tool: ToolDescriptor): number {
  return estimateTokens(JSON.stringify(toolDefinition(tool)));
}

export class ToolChoices {
  constructor(private readonly store: ToolChoiceStore) {}

  /** Whether `key` is on in `conversation`, and whether the user turned it off everywhere. */
  private state(key: string, conversation: string | undefined): { on: boolean; userOff: boolean } {
    if (this.store.userOff().includes(key)) return { on: false, userOff: true };
    const own = conversation === undefined ? undefined : this.store.conversation(conversation)[key];
    return { on: own ?? !this.store.workspaceOff().includes(key), userOff: false };
  }

  isOn(tool: ToolDescriptor, conversation: string | undefined): boolean {
    return this.state(serverKey(tool.server ?? ''), conversation).on && this.state(toolKey(tool), conversation).on;
  }

  /** The tools `conversation` offers the model. */
  filter(tools: readonly ToolDescriptor[], conversation: string | undefined): ToolDescriptor[] {
    return tools.filter((t) => this.isOn(t, conversation));
  }

  /** Turns a server (no `tool`) or one of its tools on or off, for `scope`. */
  set(conversation: string, server: string, tool: string | undefined, on: boolean, scope: ToolScope): void {
    const key = tool === undefined ? serverKey(server) : toolKey({ server, name: tool });
    const own = { ...this.store.conversation(conversation) };
    if (scope === 'conversation') {
      own[key] = on;
      this.store.setConversation(conversation, own);
      return;
    }
    // A wider choice replaces this conversation's own for the key, so the menu shows what was just chosen.
    delete own[key];
    this.store.setConversation(conversation, own);
    const edit = (keys: readonly string[]) => (on ? keys.filter((k) => k !== key) : [...new Set([...keys, key])]);
    if (scope === 'workspace') this.store.setWorkspaceOff(edit(this.store.workspaceOff()));
    else this.store.setUserOff(edit(this.store.userOff()));
  }

  /** The menu for `conversation`: servers with their tools, each on or off, and what the definitions cost. */
  menu(conversation: string, tools: readonly ToolDescriptor[], servers: readonly string[]): ToolsMenu {
    const names = [...new Set([...servers, ...tools.map((t) => t.server ?? '')])];
    let enabledTokens = 0;
    let allTokens = 0;
    const entries = names.map((server) => {
      const serverState = this.state(serverKey(server), conversation);
      const own: ToolMenuEntry[] = tools
        .filter((t) => (t.server ?? '') === server)
        .map((t) => {
          const s = this.state(toolKey(t), conversation);
          const tokens = toolTokens(t);
          allTokens += tokens;
          if (serverState.on && s.on) enabledTokens += tokens;
          return { name: t.name, on: s.on, userOff: s.userOff, tokens };
        });
      return { name: server, on: serverState.on, userOff: serverState.userOff, tools: own };
    });
    return { type: 'toolsMenu', conversationId: conversation, servers: entries, enabledTokens, allTokens };
  }
}

/**
 * `source` offering only the tools a conversation has on. Filtered before ToolSources renames a clashing
 * tool, so a choice's key is always the tool's own server and name.
 */
export function withChoices(source: ToolSupport, choices: ToolChoices): ToolSupport {
  return {
    list: async (signal, conversation) => choices.filter(await source.list(signal, conversation), conversation),
    needsApproval: (tool) => source.needsApproval(tool),
    alwaysAllow: (tool) => source.alwaysAllow(tool),
    run: (call, options) => source.run(call, options),
  };
}
