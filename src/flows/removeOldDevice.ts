import { renderCard } from '../cards.js';
import type { Services } from '../services.js';
import { resolveActor } from './actors.js';
import { audit } from './audit.js';
import { UNKNOWN_REQUEST } from './applyEvent.js';
import { refused, type Click, type ClickOutcome } from './actOnRequest.js';
import { oldAuthenticators, removal } from '../domain/devices.js';
import { refreshCards, requesterCardData } from './requestCards.js';

/**
 * Removes the old phone's Microsoft Authenticator once a new one exists. Only the requester or a
 * helpdesk agent may; the last MFA method is never removed.
 */
export async function removeOldDevice(
  services: Services,
  click: Click,
  methodId: string,
): Promise<ClickOutcome> {
  const request = await services.store.getRequest(click.requestId);
  const actor = await resolveActor(services, click.from);
  const refuse = async (message: string, reason = message): Promise<ClickOutcome> => {
    await audit(services, {
      request: request ?? null,
      actor,
      action: 'remove_old_device',
      outcome: 'refused',
      reason,
    });
    const refusal = { code: 'not_allowed' as const, message };
    return refused(click, request, refusal, actor);
  };
  // Audited like every other click on an unknown id, so the id someone tried is on record.
  if (!request) {
    return refuse(UNKNOWN_REQUEST, `unknown request id ${click.requestId.slice(0, 64)}`);
  }
  if (actor.id !== request.requester.id && !actor.isHelpdesk) {
    return refuse(`Only ${request.requester.name} or a helpdesk agent can remove their devices.`);
  }
  if (request.state !== 'completed') {
    return refuse(
      'Old devices can be removed once the new phone is registered and the request is complete.',
    );
  }
  const methods = await services.directory.listAuthMethods(request.requester.id);
  const verdict = removal(request, methods, methodId);
  if (!verdict.ok) return refuse(verdict.message);
  await services.directory.deleteAuthenticatorMethod(request.requester.id, methodId);
  await audit(services, {
    request,
    actor,
    action: 'old_device_removed',
    outcome: 'ok',
    reason: verdict.label,
  });
  const oldDevices = oldAuthenticators(
    request,
    methods.filter((m) => m.id !== methodId),
  );
  await refreshCards(services, request, { oldDevices });
  const card = renderCard(
    'requestStatus',
    requesterCardData(request, `Removed ${verdict.label}.`, oldDevices),
  );
  return { ok: true, card, request, actor };
}
