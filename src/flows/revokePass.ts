import { transition, SYSTEM } from '../domain/stateMachine.js';
import { DirectoryError } from '../ports.js';
import type { Services } from '../services.js';
import { audit } from './audit.js';
import { actOnRequest, refused, type Click, type ClickOutcome } from './actOnRequest.js';
import { resolveActor } from './actors.js';
import { scrubPassCard } from './scrubPassCard.js';
import { cardFor } from './requestCards.js';

/**
 * *Revoke*: deletes the pass in Graph first, then closes the request and scrubs the card. When
 * Graph refuses, nothing changes and the agent reads why.
 */
export async function revokePass(
  services: Services,
  click: Click,
  reason: string,
): Promise<ClickOutcome> {
  const request = await services.store.getRequest(click.requestId);
  const actor = await resolveActor(services, click.from);
  const allowed = request && transition(request, { type: 'revoke', reason }, actor, services.now());
  if (request?.pass && allowed?.ok) {
    // Graph answers 404 for a pass that is already gone, which the directory treats as done.
    try {
      await services.directory.deleteTap(request.requester.id, request.pass.methodId);
    } catch (error) {
      const message =
        error instanceof DirectoryError
          ? `The pass could not be revoked: ${error.message}`
          : 'The pass could not be revoked because of an error inside TapDesk; try again.';
      await audit(services, {
        request,
        actor,
        action: 'revoke',
        outcome: 'failed',
        reason: message,
      });
      return refused(click, request, { code: 'not_ready', message }, actor);
    }
  }
  // Refusals are decided (and audited) here too, so a forbidden revoke leaves its trace.
  const outcome = await actOnRequest(services, click, [{ type: 'revoke', reason }], actor);
  if (!outcome.ok) return outcome;
  const scrubbed = await scrubPassCard(services, outcome.request.id, SYSTEM);
  const latest = scrubbed ?? outcome.request;
  return { ...outcome, request: latest, card: cardFor(click.slot, latest) };
}
