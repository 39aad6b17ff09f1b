import { imageTokens, MAX_IMAGES_PER_MESSAGE } from '../../shared/images';
import type { ImageInput, ImageLabel } from '../../shared/protocol';
import { el, iconButton } from '../dom';
import { blobOfBase64, prepareImage } from './imageAttachPrepare';

/**
 * Images waiting to go with the next question, as chips above the message box (preview, size, token cost,
 * a remove button). Pasted, dropped, or picked with the attach button (through the host's open dialog).
 * They leave with the question and come back if the host refuses it, like the typed text.
 */
export class ImageAttachments {
  readonly element: HTMLElement;
  readonly attachButton: HTMLButtonElement;
  private items: ImageInput[] = [];
  /** What the last send took, until the host accepts or refuses it. */
  private taken: ImageInput[] = [];
  private provider: 'ollama' | 'openai' | 'embedded' = 'ollama';
  /** Preparing runs in the background; the send waits for it. */
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly handlers: { attach(): void; problem(text: string): void; changed(): void },
    input: HTMLElement,
  ) {
    this.element = el('div', 'image-chips');
    this.element.setAttribute('role', 'list');
    this.element.setAttribute('aria-label', 'Images for the next message');
    this.element.hidden = true;
    this.attachButton = iconButton('Attach image', 'file-media');
    this.attachButton.addEventListener('click', () => handlers.attach());
    input.addEventListener('paste', (e) => {
      const files = [...(e.clipboardData?.files ?? [])];
      if (files.length === 0) return;
      // Text copied with an image (a web page's selection) still pastes as text.
      if (!e.clipboardData?.types.includes('text/plain')) e.preventDefault();
      this.addFiles(files);
    });
  }

  get count(): number {
    return this.items.length;
  }

  /** What the waiting images cost together, as their chips say. */
  get tokens(): number {
    return this.items.reduce((n, i) => n + imageTokens(this.provider, i.width, i.height), 0);
  }

  /** Token estimates follow the endpoint's convention (see `imageTokens`). */
  setProvider(provider: 'ollama' | 'openai' | 'embedded' | undefined): void {
    this.provider = provider ?? 'ollama';
    this.render();
  }

  addFiles(files: File[]): void {
    for (const file of files) this.add(file, file.name || 'The pasted image');
  }

  addBase64(name: string, data: string): void {
    this.add(blobOfBase64(data), name);
  }

  /** Waits for images still being prepared, then hands over all of them (the chips go). */
  async take(): Promise<ImageInput[]> {
    await this.pending;
    this.taken = this.items;
    this.items = [];
    this.render();
    return this.taken;
  }

  /** The host refused the question: its images come back, unless new ones were added meanwhile. */
  restore(): void {
    if (this.items.length === 0 && this.taken.length) this.items = this.taken;
    this.taken = [];
    this.render();
  }

  private add(file: Blob, name: string): void {
    const job = prepareImage(file, name).then((prepared) => {
      if (typeof prepared === 'string') return this.handlers.problem(prepared);
      if (this.items.length >= MAX_IMAGES_PER_MESSAGE)
        return this.handlers.problem(`At most ${MAX_IMAGES_PER_MESSAGE} images go with one message.`);
      this.items.push(prepared);
      this.render();
    });
    this.pending = Promise.all([this.pending, job.catch(() => this.handlers.problem(`${name} could not be attached.`))]);
  }

  private render(): void {
    this.element.replaceChildren(
      ...this.items.map((item, i) => {
        const chip = imageChip({ ...item, hash: '', tokens: imageTokens(this.provider, item.width, item.height) }, i);
        const remove = iconButton(`Remove image ${i + 1}`, 'close', 'icon-button image-chip-remove');
        remove.addEventListener('click', () => {
          this.items.splice(i, 1);
          this.render();
        });
        chip.append(remove);
        return chip;
      }),
    );
    this.element.hidden = this.items.length === 0;
    this.handlers.changed();
  }
}

/** One image as a chip: its preview, and its size and token cost in words. */
export function imageChip(image: Omit<ImageLabel, 'hash'> & { hash?: string }, index: number): HTMLElement {
  const chip = el('span', 'image-chip');
  chip.setAttribute('role', 'listitem');
  const img = document.createElement('img');
  img.src = image.thumb;
  img.alt = `Image ${index + 1}, ${image.width}×${image.height}`;
  const cost = el('span', 'image-chip-label', `~${image.tokens.toLocaleString('en-US')} tokens`);
  chip.title = `${image.width}×${image.height} px, ~${image.tokens.toLocaleString('en-US')} tokens`;
  chip.append(img, cost);
  return chip;
}

/** The images that went with a question, under it. */
export function messageImages(images: ImageLabel[]): HTMLElement {
  const row = el('div', 'image-chips message-images');
  row.setAttribute('role', 'list');
  row.setAttribute('aria-label', 'Images sent with this message');
  row.append(...images.map((image, i) => imageChip(image, i)));
  return row;
}
