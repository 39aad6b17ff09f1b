import type { SetupState } from '../../shared/protocol';
import type { ChatProvider, EndpointConfig } from '../providers/provider';

/**
 * What the empty chat should say: whether the endpoint answers and has models. Asked when the view opens,
 * when the settings change and when the user presses Retry on it.
 */
export async function checkSetup(
  endpoint: EndpointConfig | undefined,
  configuredModel: string,
  providerFor: (endpoint: EndpointConfig) => ChatProvider | Promise<ChatProvider>,
  activeFile?: string,
  signal?: AbortSignal,
): Promise<SetupState> {
  if (!endpoint) return { state: 'noEndpoint' };
  const where = { endpoint: endpoint.name, url: endpoint.url, kind: endpoint.type };
  let names: string[];
  try {
    names = (await (await providerFor(endpoint)).listModels(signal)).map((m) => m.name);
  } catch {
    return { state: 'unreachable', ...where };
  }
  if (names.length === 0) return { state: 'noModels', ...where };
  return { state: 'ready', endpoint: endpoint.name, model: configuredModel || names[0], ...(activeFile ? { activeFile } : {}) };
}
