import { isOpen, type TapRequest } from '../domain/request.js';
import type { Services } from '../services.js';

const LOOKBACK_MS = 30 * 24 * 60 * 60 * 1000;

/** The person's open request, if any (there is at most one: eligibility refuses a second). */
export async function openRequestOf(
  services: Services,
  requesterId: string,
): Promise<TapRequest | undefined> {
  const since = new Date(services.now().getTime() - LOOKBACK_MS).toISOString();
  const requests = await services.store.listRequestsByRequester(requesterId, since);
  return requests.filter((request) => isOpen(request.state)).at(-1);
}
