import * as vscode from 'vscode';
import type { HostToWebview } from '../../shared/protocol';
import { MAX_IMAGE_INPUT_BYTES, MAX_IMAGES_PER_MESSAGE, imageProblem, sniffImage } from '../../shared/images';

/**
 * The attach button: the editor's open dialog (the page cannot open one), then each picked image goes to the
 * page, which prepares it like a pasted one. The size is checked before the file is read.
 */
export async function pickImages(post: (m: HostToWebview) => void, log: vscode.LogOutputChannel): Promise<void> {
  const uris = await vscode.window.showOpenDialog({
    canSelectMany: true,
    openLabel: 'Attach',
    title: 'Attach images',
    filters: { Images: ['png', 'jpg', 'jpeg', 'gif', 'webp'] },
  });
  for (const uri of (uris ?? []).slice(0, MAX_IMAGES_PER_MESSAGE)) {
    const name = uri.path.split('/').pop() ?? 'image';
    try {
      const { size } = await vscode.workspace.fs.stat(uri);
      const early = size > MAX_IMAGE_INPUT_BYTES ? imageProblem(name, size, undefined) : undefined;
      const bytes = early ? undefined : await vscode.workspace.fs.readFile(uri);
      const problem = early ?? (bytes && bytes.length > MAX_IMAGE_INPUT_BYTES ? imageProblem(name, bytes.length, undefined) : undefined);
      const kindProblem = bytes && !problem ? imageProblem(name, bytes.length, sniffImage(bytes)) : undefined;
      if (problem || kindProblem || !bytes) {
        post({ type: 'notice', text: problem ?? kindProblem ?? `${name} could not be read.` });
        continue;
      }
      post({ type: 'imageFile', name, data: Buffer.from(bytes).toString('base64') });
    } catch (err) {
      log.warn(`Attaching ${uri.toString()} failed: ${String(err)}`);
      post({ type: 'notice', text: `${name} could not be read.` });
    }
  }
}
