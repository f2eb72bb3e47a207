import type { AttestAnswer } from '../domain/stateMachine.js';
import type { Services } from '../services.js';
import { actOnRequest, type Click, type ClickOutcome } from './actOnRequest.js';
import { alertSecurity } from './alertSecurity.js';

/**
 * The manager's answer. "Suspicious" ends the request; the requester's card then says only that
 * the helpdesk will contact them, and the security team gets an alert naming who and why.
 */
export async function attest(
  services: Services,
  click: Click,
  answer: AttestAnswer,
): Promise<ClickOutcome> {
  const outcome = await actOnRequest(services, click, [{ type: 'attest', answer }]);
  if (outcome.ok && answer === 'suspicious') {
    const { request } = outcome;
    services.background.run('alert security', () =>
      alertSecurity(services, {
        title: 'A manager reported a recovery request as suspicious',
        text: `${outcome.actor.name} says the person asking for a pass may not be ${request.requester.name}. The request was stopped; no pass was created. Contact ${request.requester.name} through a trusted channel and check the account for signs of takeover.`,
        facts: [
          { title: 'Account', value: `${request.requester.name} (${request.requester.upn})` },
          { title: 'Reported by', value: outcome.actor.name },
          { title: 'Request', value: request.id },
          { title: 'Asked at', value: request.createdAt },
        ],
      }),
    );
  }
  return outcome;
}
