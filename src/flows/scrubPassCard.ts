import { renderCard } from '../cards.js';
import type { TapRequest } from '../domain/request.js';
import type { Actor } from '../domain/stateMachine.js';
import { errorSummary } from '../logger.js';
import type { Services } from '../services.js';
import { applyEvents } from './applyEvent.js';
import { agentCardData } from './requestCards.js';

/**
 * Replaces the agent's pass card with one that no longer shows the pass, then records the
 * scrub. The card goes first: a scrub recorded for a card Teams never updated would leave the
 * pass on screen with nothing left to retry it, while an unrecorded one is retried by the sweep.
 * Undefined when there was nothing to scrub (already done, or no pass) or the card could not be
 * updated yet.
 */
export async function scrubPassCard(
  services: Services,
  requestId: string,
  actor: Actor,
): Promise<TapRequest | undefined> {
  // Completion and revoke scrub after Delivered already did: that is no refusal worth auditing.
  const current = await services.store.getRequest(requestId);
  if (!current?.pass || current.pass.scrubbedAt !== null) return undefined;
  const card = current.cards.agent;
  if (card) {
    const hidden = {
      ...current,
      pass: { ...current.pass, scrubbedAt: services.now().toISOString() },
    };
    try {
      await services.messenger.update(card, {
        attachments: [renderCard('agentPass', agentCardData(hidden))],
      });
    } catch (error) {
      services.logger.warn(
        { requestId, error: errorSummary(error) },
        'could not hide the pass on the agent card yet; the sweep tries again',
      );
      return undefined;
    }
  }
  // The other cards do not show whether the pass is on screen: only the agent's changed.
  const scrubbed = await applyEvents(services, requestId, [{ type: 'scrub' }], actor);
  return scrubbed.ok ? scrubbed.request : undefined;
}
