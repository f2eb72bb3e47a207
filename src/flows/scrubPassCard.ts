import type { TapRequest } from '../domain/request.js';
import type { Actor } from '../domain/stateMachine.js';
import type { Services } from '../services.js';
import { applyEvents } from './applyEvent.js';
import { refreshCards } from './requestCards.js';

/**
 * Records the scrub and replaces the agent's pass card with one that no longer shows the pass.
 * Undefined when there was nothing to scrub (already done, or no pass).
 */
export async function scrubPassCard(
  services: Services,
  requestId: string,
  actor: Actor,
): Promise<TapRequest | undefined> {
  // Completion and revoke scrub after Delivered already did: that is no refusal worth auditing.
  const current = await services.store.getRequest(requestId);
  if (!current?.pass || current.pass.scrubbedAt !== null) return undefined;
  const scrubbed = await applyEvents(services, requestId, [{ type: 'scrub' }], actor);
  if (!scrubbed.ok) return undefined;
  await refreshCards(services, scrubbed.request);
  return scrubbed.request;
}
