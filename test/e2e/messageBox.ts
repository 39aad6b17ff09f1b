import type { Frame, Locator } from 'playwright-core';

/** The chat's message box. */
export function messageBox(chat: Frame): Locator {
  return chat.locator('textarea[aria-label="Message"]');
}

/**
 * Sends a question the way a user does: once Send is back. The end of an answer reaches the page in two
 * messages (the answer's `done`, then the turn's end), and Enter in between sends nothing (the text stays in
 * the box, a notice says why), so a test that sends on `done` alone loses a race on a busy machine (seen in CI).
 */
export async function sendMessage(chat: Frame, text: string, timeout = 30_000): Promise<void> {
  await chat.locator('form.composer button[aria-label="Send"]').waitFor({ state: 'visible', timeout });
  const box = messageBox(chat);
  await box.fill(text);
  await box.press('Enter');
}
