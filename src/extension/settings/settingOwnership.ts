/**
 * Which settings a workspace may set. A cloned repository's `.vscode/settings.json` must not decide where
 * the user's data and keys go or what runs on their machine: for those settings only the user's own value
 * (user, remote or machine settings, else the default) counts, unless the workspace is trusted and the user
 * confirmed that exact workspace value once. Approval is never loosened by a workspace at all.
 *
 * No `vscode` here: the inputs are what `WorkspaceConfiguration.inspect()` returns, so it is tested in Node.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { ApprovalSetting } from '../../tools/approval';

/** The scopes of `WorkspaceConfiguration.inspect()` this logic reads. */
export interface Inspected<T> {
  defaultValue?: T;
  /** User settings (remote and machine settings land here too). */
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/** Settings that decide where data goes or what runs (keys under `modelChat.`). */
export const USER_OWNED = ['endpoints', 'defaultEndpoint', 'defaultModel', 'tools.timeoutSeconds', 'mcp.servers'] as const;
export type UserOwnedKey = (typeof USER_OWNED)[number];

/** The user's answer about one workspace value, remembered by its fingerprint. */
export type Confirmation = 'use' | 'refuse';

export interface Resolved<T> {
  value: T | undefined;
  from: 'user' | 'workspace';
  /** A workspace value the user has not decided on yet: the caller asks, and remembers the answer by `fingerprint`. */
  ask?: { value: T; fingerprint: string };
}

/** Changes whenever the workspace's value does, so a changed value is asked about again. */
export function fingerprint(key: string, value: unknown): string {
  return createHash('sha256')
    .update(`${key}\0${JSON.stringify(value)}`)
    .digest('hex');
}

export function userValue<T>(inspected: Inspected<T> | undefined): T | undefined {
  return inspected?.globalValue !== undefined ? inspected.globalValue : inspected?.defaultValue;
}

export function resolveUserOwned<T>(
  key: string,
  inspected: Inspected<T> | undefined,
  trusted: boolean,
  decided: (fingerprint: string) => Confirmation | undefined,
): Resolved<T> {
  const mine = userValue(inspected);
  const theirs = inspected?.workspaceFolderValue !== undefined ? inspected.workspaceFolderValue : inspected?.workspaceValue;
  if (theirs === undefined || isDeepStrictEqual(theirs, mine) || !trusted) return { value: mine, from: 'user' };
  const print = fingerprint(key, theirs);
  const decision = decided(print);
  if (decision === 'use') return { value: theirs, from: 'workspace' };
  if (decision === 'refuse') return { value: mine, from: 'user' };
  // Until the user says yes, their own value holds: nothing goes where the workspace points meanwhile.
  return { value: mine, from: 'user', ask: { value: theirs, fingerprint: print } };
}

/**
 * `tools.workspace.enabled`: what the user's value (or the default) turns on, minus what a workspace turns
 * off. A workspace can switch built-in tools off, never on (else a repository could enable run_command).
 */
export function workspaceToolSettingValues(inspected: Inspected<unknown> | undefined): unknown[] {
  return [userValue(inspected), inspected?.workspaceValue, inspected?.workspaceFolderValue].filter((v) => v !== undefined);
}

/** From strictest to loosest. */
const APPROVAL_ORDER: readonly ApprovalSetting[] = ['ask', 'readOnly', 'always'];

/**
 * The strictest of the user's and the workspace's values: a workspace can make approval stricter, never
 * looser. A value that is none of the three counts as `ask`.
 */
export function strictestApproval(inspected: Inspected<unknown> | undefined): ApprovalSetting {
  const values = [userValue(inspected) ?? 'ask', inspected?.workspaceValue, inspected?.workspaceFolderValue].filter((v) => v !== undefined);
  const rank = (v: unknown) => Math.max(0, APPROVAL_ORDER.indexOf(v as ApprovalSetting));
  return APPROVAL_ORDER[Math.min(...values.map(rank))];
}
