import { renderCard } from '../cards.js';
import type { Services } from '../services.js';
import { resolveActor } from './actors.js';
import { audit } from './audit.js';
import { UNKNOWN_REQUEST } from './applyEvent.js';
import type { Click, ClickOutcome } from './actOnRequest.js';
import { refusalCard } from './actOnRequest.js';
import { newAuthenticators, oldAuthenticators } from './completeRecovery.js';
import { refreshCards, requesterCardData } from './requestCards.js';

/** Sign-in methods that can stand in for MFA; a password alone cannot. */
export const MFA_TYPES: ReadonlySet<string> = new Set([
  'microsoftAuthenticator',
  'phone',
  'fido2',
  'softwareOath',
  'windowsHelloForBusiness',
  'platformCredential',
]);

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
    return { ok: false, card: refusalCard(click.slot, request, refusal, actor), refusal };
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
  const target = oldAuthenticators(request, methods).find((device) => device.id === methodId);
  if (!target)
    return refuse('That device is not one of the old phones on this account (any more).');
  const remainingMfa = methods.filter((m) => MFA_TYPES.has(m.type) && m.id !== methodId);
  if (remainingMfa.length === 0 || newAuthenticators(request, methods).length === 0) {
    return refuse(
      'That is the last way you can approve sign-ins, so TapDesk will not remove it. Register the new phone first.',
    );
  }
  await services.directory.deleteAuthenticatorMethod(request.requester.id, methodId);
  await audit(services, {
    request,
    actor,
    action: 'old_device_removed',
    outcome: 'ok',
    reason: target.label,
  });
  const oldDevices = oldAuthenticators(
    request,
    methods.filter((m) => m.id !== methodId),
  );
  await refreshCards(services, request, { oldDevices });
  const card = renderCard(
    'requestStatus',
    requesterCardData(request, `Removed ${target.label}.`, oldDevices),
  );
  return { ok: true, card, request, actor };
}
