import type { ChatProvider, EndpointConfig, ModelInfo } from './provider';
import { ChildAbort } from '../../shared/abort';
import { TIMEOUTS } from '../../shared/timeouts';

export type EndpointModels = { endpoint: EndpointConfig; models: ModelInfo[] } | { endpoint: EndpointConfig; error: string };

/**
 * Every model every endpoint lists, asked in parallel. An endpoint that is down, refuses or does not answer
 * in time is reported as such in its place: it never hides the others.
 */
export async function listAllModels(
  endpoints: EndpointConfig[],
  providerFor: (endpoint: EndpointConfig) => ChatProvider | Promise<ChatProvider>,
  timeoutMs: number = TIMEOUTS.modelListMs,
): Promise<EndpointModels[]> {
  const deadline = new ChildAbort(undefined, timeoutMs);
  try {
    return await Promise.all(
      endpoints.map(async (endpoint): Promise<EndpointModels> => {
        try {
          return { endpoint, models: await (await providerFor(endpoint)).listModels(deadline.signal) };
        } catch (err) {
          return {
            endpoint,
            error: deadline.signal.aborted
              ? `no answer from ${endpoint.url} within ${Math.round(timeoutMs / 1000)} s`
              : (err as Error).message,
          };
        }
      }),
    );
  } finally {
    deadline.dispose();
  }
}
