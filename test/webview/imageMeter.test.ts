import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebviewHarness } from './harness';

const shots = join(__dirname, '..', '..', 'test-output', 'webview');
mkdirSync(shots, { recursive: true });
const model = { endpoint: 'OpenAI', model: 'gpt-4o', provider: 'openai' as const };

/** Pastes a drawn PNG into the message box, the way the browser does: a ClipboardEvent carrying a File. */
async function pasteImage(h: WebviewHarness, width: number, height: number): Promise<void> {
  await h.page.evaluate(
    async ([w, hh]) => {
      const canvas = new OffscreenCanvas(w, hh);
      const g = canvas.getContext('2d')!;
      g.fillStyle = '#43a047';
      g.fillRect(0, 0, w, hh);
      g.fillStyle = '#fff';
      g.font = `${Math.round(hh / 5)}px sans-serif`;
      g.fillText('screenshot', w / 10, hh / 1.8);
      const dt = new DataTransfer();
      dt.items.add(new File([await canvas.convertToBlob({ type: 'image/png' })], 'shot.png', { type: 'image/png' }));
      document
        .querySelector('textarea[aria-label="Message"]')!
        .dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    },
    [width, height],
  );
}

describe('the context meter counts the images in the message box, in headless Chromium', () => {
  const h = new WebviewHarness();
  before(async () => {
    await h.start();
    await h.send({ type: 'snapshot', messages: [], busy: false, model });
    // What the host posts: the conversation so far (its images included) and the model's context.
    await h.send({ type: 'context', chips: [], meter: { usedTokens: 2000, limitTokens: 8192 } });
  });
  after(() => h.stop());

  const meter = () => h.page.locator('[role="meter"][aria-label="Context used"]');
  const valueNow = async () => Number(await meter().getAttribute('aria-valuenow'));
  const waitForValue = (n: number) =>
    h.page.waitForFunction((v) => document.querySelector('[role="meter"]')?.getAttribute('aria-valuenow') === String(v), n);

  it('rises by the chip’s token cost when an image is pasted, and falls back when it is removed', async () => {
    await meter().waitFor();
    assert.equal(await valueNow(), 2000);
    const before = await meter().locator('.meter-text').textContent();
    await pasteImage(h, 1024, 1024);
    const chip = h.page.locator('.composer .image-chip');
    await chip.waitFor();
    // OpenAI's tiles: 1024 x 1024 -> 768 x 768 -> 2 x 2 tiles -> 85 + 4 * 170.
    assert.equal(await chip.locator('.image-chip-label').textContent(), '~765 tokens');
    await waitForValue(2765);
    const afterOne = await meter().locator('.meter-text').textContent();
    console.log(`meter: "${before}" before, "${afterOne}" with one image chip`);
    assert.equal(afterOne, '2.8k / 8.2k tokens');
    await pasteImage(h, 3000, 1500);
    await h.page.locator('.composer .image-chip').nth(1).waitFor();
    await waitForValue(2765 + 1105);
    await h.page.locator('textarea[aria-label="Message"]').fill('Which of these two is newer?');
    await h.page.locator('.composer').screenshot({ path: join(shots, 'image-meter.png') });
    await h.page.getByRole('button', { name: 'Remove image 1' }).click();
    await waitForValue(2000 + 1105 + Math.ceil('Which of these two is newer?'.length / 4));
  });

  it('counts them at the new model’s rate when the model changes (Ollama: a fixed 576 each)', async () => {
    await h.send({ type: 'model', model: { endpoint: 'Local', model: 'llava', provider: 'ollama' } });
    await waitForValue(2000 + 576 + Math.ceil('Which of these two is newer?'.length / 4));
  });
});
