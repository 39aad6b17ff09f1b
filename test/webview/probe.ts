// Built into the harness page (not the product): the same markdown-it setup and model as the bundle,
// so tests can compute in the page what the DOM should hold.
import { IncrementalMarkdown } from '../../src/webview/markdown/incrementalRenderer';
import { createMarkdown } from '../../src/webview/markdown/markdown';
import { fillIncomplete } from '../../src/webview/markdown/tailFill';

(globalThis as Record<string, unknown>).__probe = { createMarkdown, fillIncomplete, IncrementalMarkdown };
