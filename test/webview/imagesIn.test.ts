import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WebviewToHost } from '../../src/shared/protocol';
import { WebviewHarness } from './harness';

const shots = join(__dirname, '..', '..', 'test-output', 'webview');
mkdirSync(shots, { recursive: true });
const model = { endpoint: 'OpenAI', model: 'gpt-4o', provider: 'openai' as const };

/** Pastes into the message box the way the browser does: a ClipboardEvent carrying a File. */
async function paste(h: WebviewHarness, file: { width: number; height: number } | { bytes: 'text' | 'huge'; name: string }): Promise<void> {
  await h.page.evaluate(async (f) => {
    let blob: Blob;
    let name = 'shot.png';
    if ('width' in f) {
      const canvas = new OffscreenCanvas(f.width, f.height);
      const g = canvas.getContext('2d')!;
      const grad = g.createLinearGradient(0, 0, f.width, f.height);
      grad.addColorStop(0, '#1e88e5');
      grad.addColorStop(1, '#f4511e');
      g.fillStyle = grad;
      g.fillRect(0, 0, f.width, f.height);
      g.fillStyle = '#fff';
      g.font = `${Math.round(f.height / 4)}px sans-serif`;
      g.fillText('chart', f.width / 6, f.height / 1.6);
      blob = await canvas.convertToBlob({ type: 'image/png' });
    } else {
      name = f.name;
      const bytes = f.bytes === 'huge' ? new Uint8Array(20 * 1024 * 1024 + 1) : new TextEncoder().encode('just some text, not an image');
      if (f.bytes === 'huge') bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      blob = new Blob([bytes]);
    }
    const dt = new DataTransfer();
    dt.items.add(new File([blob], name, { type: 'image/png' }));
    const box = document.querySelector('textarea[aria-label="Message"]')!;
    box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, file);
}

describe('images in the message box, in headless Chromium', () => {
  const h = new WebviewHarness();
  let sentThumb = '';
  before(async () => {
    await h.start();
    await h.send({ type: 'snapshot', messages: [], busy: false, model });
  });
  after(() => h.stop());

  it('a pasted image becomes a chip with a preview and its token cost, scaled down to 2048 px', async () => {
    await paste(h, { width: 3000, height: 1500 });
    const chip = h.page.locator('.composer .image-chip');
    await chip.waitFor();
    assert.equal(await chip.locator('img').getAttribute('alt'), 'Image 1, 2048×1024');
    assert.match((await chip.locator('img').getAttribute('src'))!, /^data:image\/(webp|png);base64,/);
    // OpenAI's tiles: 2048 x 1024 -> 1536 x 768 -> 3 x 2 tiles -> 85 + 6 * 170.
    assert.equal(await chip.locator('.image-chip-label').textContent(), '~1,105 tokens');
    const loaded = await chip.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0);
    assert.ok(loaded, 'the preview is drawn under the CSP');
    await h.page.locator('textarea[aria-label="Message"]').fill('What does this chart show?');
    await h.page.locator('.composer').screenshot({ path: join(shots, 'images-in-chip.png') });
  });

  it('Send posts the question with the image (its bytes a PNG), and the chip goes', async () => {
    await h.clearPosted();
    await h.page.locator('textarea[aria-label="Message"]').press('Enter');
    await h.page.waitForFunction(() => (window as any).__posted.some((m: any) => m.type === 'send'));
    const sent = (await h.posted()).find((m) => m.type === 'send') as Extract<WebviewToHost, { type: 'send' }>;
    assert.equal(sent.text, 'What does this chart show?');
    assert.equal(sent.images?.length, 1);
    const img = sent.images![0];
    sentThumb = img.thumb;
    assert.deepEqual([img.mimeType, img.width, img.height], ['image/png', 2048, 1024]);
    assert.equal(Buffer.from(img.data, 'base64').subarray(1, 4).toString(), 'PNG');
    assert.equal(await h.page.locator('.composer .image-chip').count(), 0);
  });

  it('a refused send brings the text and the image back', async () => {
    await h.send({ type: 'sendRefused', text: 'What does this chart show?', reason: 'no vision' });
    await h.page.locator('.composer .image-chip').waitFor();
    assert.equal(await h.page.locator('textarea[aria-label="Message"]').inputValue(), 'What does this chart show?');
    await h.page.locator('[aria-label="Remove image 1"]').click();
    assert.equal(await h.page.locator('.composer .image-chip').count(), 0);
  });

  it('says why a file is refused: not an image (by its bytes, whatever its name), or over 20 MB', async () => {
    await paste(h, { bytes: 'text', name: 'notes.png' });
    await h.page.getByText('notes.png is not a PNG, JPEG, GIF or WebP image.').waitFor();
    await paste(h, { bytes: 'huge', name: 'huge.png' });
    await h.page.getByText('huge.png is 20.0 MB; images up to 20 MB can be attached.').waitFor();
    assert.equal(await h.page.locator('.composer .image-chip').count(), 0);
  });

  it('the attach button asks the host for the open dialog, and a file it sends back becomes a chip', async () => {
    await h.clearPosted();
    await h.page.locator('[aria-label="Attach image"]').click();
    assert.ok((await h.posted()).some((m) => m.type === 'attachImage'));
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    await h.send({ type: 'imageFile', name: 'dot.png', data: png });
    await h.page.locator('.composer .image-chip img[alt="Image 1, 1×1"]').waitFor();
    await h.page.locator('[aria-label="Remove image 1"]').click();
  });

  it('a sent question shows its images as previews under it', async () => {
    await h.send({
      type: 'messageAdded',
      message: {
        id: 'q1',
        role: 'user',
        text: 'What does this chart show?',
        state: 'done',
        seq: 0,
        images: [{ hash: 'a'.repeat(64), mimeType: 'image/png', width: 2048, height: 1024, thumb: sentThumb, tokens: 1105 }],
      },
    });
    const img = h.page.locator('article[data-role="user"] .message-images img');
    await img.waitFor();
    assert.equal(await img.getAttribute('alt'), 'Image 1, 2048×1024');
    assert.ok(await img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0));
    // For the README: the sent question, and a new image waiting in the box.
    await h.page
      .locator('.notice [aria-label="Dismiss"], .notice button')
      .first()
      .click()
      .catch(() => undefined);
    await paste(h, { width: 1200, height: 900 });
    await h.page.locator('.composer .image-chip').waitFor();
    await h.page.locator('textarea[aria-label="Message"]').fill('And this one?');
    await h.page.screenshot({ path: join(shots, 'images-in-message.png') });
    assert.deepEqual(h.foreignRequests, []);
  });
});
