/**
 * When no model name is given, use the one the server serves (most local servers serve exactly one); when the
 * server serves several, say which.
 */
import { UsageError } from './errors';

/** Placeholder for "no model name given anywhere": ask the server. */
export const MODEL_FROM_SERVER = '(from server)';

export async function resolveModelName(endpoint: string, given: string | undefined, apiKey?: string): Promise<string> {
  if (given && given !== MODEL_FROM_SERVER) return given;
  const { listServedModels } = await import('../model/endpoint-url');
  const models = await listServedModels(endpoint, apiKey);
  if (models.length === 1) return models[0]!;
  if (models.length === 0) throw new UsageError(`the server at ${endpoint} lists no models; give --model`);
  throw new UsageError(`the server at ${endpoint} serves several models (${models.join(', ')}); choose one with --model`);
}
