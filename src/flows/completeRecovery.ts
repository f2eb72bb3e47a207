/**
 * Completion: once the requester has a Microsoft Authenticator registered after their request,
 * the pass is deleted if still there, the request closes, every card updates, and the
 * requester is offered removal of the old phone.
 */
import { renderCard } from '../cards.js';
import type { TapRequest } from '../domain/request.js';
import { SYSTEM, transition, type Actor } from '../domain/stateMachine.js';
import { errorSummary } from '../logger.js';
import type { AuthMethod } from '../ports.js';
import type { Services } from '../services.js';
import { resolveActor } from './actors.js';
import { applyEvents } from './applyEvent.js';
import { audit } from './audit.js';
import { refused, type Click, type ClickOutcome } from './actOnRequest.js';
import { cardFor, refreshCards, requesterCardData, SECURITY_INFO_URL } from './requestCards.js';
import { scrubPassCard } from './scrubPassCard.js';
import { newAuthenticators, oldAuthenticators } from '../domain/devices.js';

/** *I'm done*: checks Graph and completes, or says what is still missing. */
export async function finishRecovery(services: Services, click: Click): Promise<ClickOutcome> {
  const actor = await resolveActor(services, click.from);
  const request = await services.store.getRequest(click.requestId);
  // Whoever may not complete is refused (and audited) by `complete` before Graph is read.
  const allowed =
    request !== undefined && transition(request, { type: 'complete' }, actor, services.now()).ok;
  let methods: AuthMethod[] | undefined;
  if (request && allowed) {
    methods = await services.directory.listAuthMethods(request.requester.id);
    if (newAuthenticators(request, methods).length === 0) {
      const message = `I don't see a new Microsoft Authenticator on your account yet. Sign in at ${SECURITY_INFO_URL} with the pass, add Microsoft Authenticator on your new phone, then press "I'm done" again.`;
      await audit(services, {
        request,
        actor,
        action: 'complete',
        outcome: 'refused',
        reason: message,
      });
      return refused(click, request, { code: 'not_ready', message }, actor);
    }
  }
  return complete(services, click, actor, methods);
}

/**
 * Completes as `actor`: the state machine decides whether they may. Shared by the click and by
 * the periodic check, which completes as TapDesk itself; both pass the methods they already
 * read, so Graph is asked once.
 */
export async function complete(
  services: Services,
  click: Click,
  actor: Actor,
  methods: readonly AuthMethod[] | undefined,
): Promise<ClickOutcome> {
  const applied = await applyEvents(services, click.requestId, [{ type: 'complete' }], actor);
  if (!applied.ok) return refused(click, applied.request, applied.refusal, actor);
  const { request } = applied;
  await deleteLeftoverPass(services, request);
  const justScrubbed = await scrubPassCard(services, request.id, SYSTEM);
  const scrubbed = justScrubbed ?? request;
  const oldDevices = oldAuthenticators(
    scrubbed,
    methods ?? (await services.directory.listAuthMethods(request.requester.id)),
  );
  // A scrub just now already put the completed state on the agent's card.
  await refreshCards(services, scrubbed, {
    oldDevices,
    ...(justScrubbed ? { skip: 'agent' as const } : {}),
  });
  const card =
    click.slot === 'requester'
      ? renderCard('requestStatus', requesterCardData(scrubbed, '', oldDevices))
      : cardFor(click.slot, scrubbed);
  return { ok: true, card, request: scrubbed, actor };
}

/**
 * A pass that was never used is still a way in: delete it once the person has a new method.
 * Graph's 404 for a pass already used up or gone counts as deleted.
 */
async function deleteLeftoverPass(services: Services, request: TapRequest): Promise<void> {
  if (!request.pass) return;
  try {
    await services.directory.deleteTap(request.requester.id, request.pass.methodId);
  } catch (error) {
    services.logger.warn(
      { requestId: request.id, error: errorSummary(error) },
      'could not delete the pass after completion; it expires on its own',
    );
  }
}
