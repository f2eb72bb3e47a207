import { SYSTEM } from '../domain/stateMachine.js';
import type { Services } from '../services.js';
import { actOnRequest, type Click, type ClickOutcome } from './actOnRequest.js';
import { scrubPassCard } from './scrubPassCard.js';
import { cardFor } from './requestCards.js';

/** *Delivered*: the agent read the pass out; their card stops showing it at once. */
export async function deliverPass(services: Services, click: Click): Promise<ClickOutcome> {
  const outcome = await actOnRequest(services, click, [{ type: 'deliver' }]);
  if (!outcome.ok) return outcome;
  const scrubbed = await scrubPassCard(services, outcome.request.id, SYSTEM);
  const request = scrubbed ?? outcome.request;
  return { ...outcome, request, card: cardFor('agent', request) };
}
