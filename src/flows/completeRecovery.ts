/**
 * Completion: once the requester has a Microsoft Authenticator registered after their request,
 * the pass is deleted if still there, the request closes, every card updates, and the
 * requester is offered removal of the old phone.
 */
import { renderCard } from '../cards.js';
import type { TapRequest } from '../domain/request.js';
import { SYSTEM, transition, type Actor } from '../domain/stateMachine.js';
import { DirectoryError } from '../ports.js';
import type { Services } from '../services.js';
import { resolveActor } from './actors.js';
import { applyEvents } from './applyEvent.js';
import { audit } from './audit.js';
import { refusalCard, type Click, type ClickOutcome } from './actOnRequest.js';
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
  if (request && allowed) {
    const methods = await services.directory.listAuthMethods(request.requester.id);
    if (newAuthenticators(request, methods).length === 0) {
      const message = `I don't see a new Microsoft Authenticator on your account yet. Sign in at ${SECURITY_INFO_URL} with the pass, add Microsoft Authenticator on your new phone, then press "I'm done" again.`;
      await audit(services, {
        request,
        actor,
        action: 'complete',
        outcome: 'refused',
        reason: message,
      });
      return {
        ok: false,
        card: cardFor(click.slot, request, message),
        refusal: { code: 'not_ready', message },
      };
    }
  }
  return complete(services, click, actor);
}

/**
 * Completes as `actor`: the state machine decides whether they may. Shared by the click and by
 * the periodic check, which completes as TapDesk itself.
 */
export async function complete(
  services: Services,
  click: Click,
  actor: Actor,
): Promise<ClickOutcome> {
  const applied = await applyEvents(services, click.requestId, [{ type: 'complete' }], actor);
  if (!applied.ok) {
    return {
      ok: false,
      card: refusalCard(click.slot, applied.request, applied.refusal, actor),
      refusal: applied.refusal,
    };
  }
  const { request } = applied;
  await deleteLeftoverPass(services, request);
  const scrubbed = (await scrubPassCard(services, request.id, SYSTEM)) ?? request;
  const methods = await services.directory.listAuthMethods(request.requester.id);
  const oldDevices = oldAuthenticators(scrubbed, methods);
  await refreshCards(services, scrubbed, { oldDevices });
  const card =
    click.slot === 'requester'
      ? renderCard('requestStatus', requesterCardData(scrubbed, '', oldDevices))
      : cardFor(click.slot, scrubbed);
  return { ok: true, card, request: scrubbed, actor };
}

/** A pass that was never used is still a way in: delete it once the person has a new method. */
async function deleteLeftoverPass(services: Services, request: TapRequest): Promise<void> {
  if (!request.pass) return;
  try {
    const taps = await services.directory.listTaps(request.requester.id);
    if (taps.some((tap) => tap.id === request.pass?.methodId)) {
      await services.directory.deleteTap(request.requester.id, request.pass.methodId);
    }
  } catch (error) {
    if (error instanceof DirectoryError && error.kind === 'not_found') return;
    services.logger.warn(
      { requestId: request.id, error: error instanceof Error ? error.message : String(error) },
      'could not delete the pass after completion; it expires on its own',
    );
  }
}
