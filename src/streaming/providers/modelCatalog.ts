import type { EndpointConfig } from '../chat/chatSession';
import type { ChatProvider, ModelInfo } from './provider';

export type EndpointModels = { endpoint: EndpointConfig; models: ModelInfo[] } | { endpoint: EndpointConfig; error: string };

/**
 * Every model every endpoint lists, asked in parallel. An endpoint that is down, refuses or does not answer
 * in time is reported as such in its place: it never hides the others.
 */
export async function listAllModels(
  endpoints: EndpointConfig[],
  providerFor: (endpoint: EndpointConfig) => ChatProvider | Promise<ChatProvider>,
  timeoutMs = 8000,
): Promise<EndpointModels[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await Promise.all(
      endpoints.map(async (endpoint): Promise<EndpointModels> => {
        try {
          return { endpoint, models: await (await providerFor(endpoint)).listModels(controller.signal) };
        } catch (err) {
          return {
            endpoint,
            error: controller.signal.aborted
              ? `no answer from ${endpoint.url} within ${Math.round(timeoutMs / 1000)} s`
              : (err as Error).message,
          };
        }
      }),
    );
  } finally {
    clearTimeout(timer);
  }
}
