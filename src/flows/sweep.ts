/**
 * The periodic check, safe on several instances at once: every change goes through a
 * compare-and-swap, so whichever instance gets there first makes it and the others see it done.
 */
import { isOpen, PASS_STATES, WAITING_STATES, type TapRequest } from '../domain/request.js';
import { SYSTEM, isExpired } from '../domain/stateMachine.js';
import { errorSummary } from '../logger.js';
import type { Services } from '../services.js';
import { applyEvents } from './applyEvent.js';
import { newAuthenticators } from '../domain/devices.js';
import { complete } from './completeRecovery.js';
import { refreshCards } from './requestCards.js';
import { sendPlannedChangeReminders } from './reminders.js';
import { scrubPassCard } from './scrubPassCard.js';
import { notifyParties } from './submitRequest.js';

/** The agent's card shows the pass for at most this long. */
export const PASS_VISIBLE_MS = 10 * 60_000;

/** How long a submit may take to notify before the sweep finishes the job. */
const RENOTIFY_AFTER_MS = 2 * 60_000;

export async function sweep(services: Services): Promise<void> {
  const open = await services.store.listOpenRequests();
  for (const request of open) {
    try {
      await sweepOne(services, request);
    } catch (error) {
      services.logger.warn(
        { requestId: request.id, error: errorSummary(error) },
        'sweep failed for a request',
      );
    }
  }
  await scrubClosedPassCards(services);
  try {
    await sendPlannedChangeReminders(services);
  } catch (error) {
    services.logger.warn({ error: errorSummary(error) }, 'sweep could not send reminders');
  }
}

/** How far back closed requests are checked for a pass card whose scrub did not get through. */
const CLOSED_SCRUB_LOOKBACK_MS = 2 * 24 * 60 * 60 * 1000;

/** A request closed by revoke or completion whose pass card could not be updated then. */
async function scrubClosedPassCards(services: Services): Promise<void> {
  const since = new Date(services.now().getTime() - CLOSED_SCRUB_LOOKBACK_MS).toISOString();
  try {
    const recent = await services.store.listRequestsSince(since);
    for (const request of recent) {
      if (!isOpen(request.state) && request.pass && !request.pass.scrubbedAt) {
        await scrubPassCard(services, request.id, SYSTEM);
      }
    }
  } catch (error) {
    services.logger.warn({ error: errorSummary(error) }, 'sweep could not check closed pass cards');
  }
}

async function sweepOne(services: Services, request: TapRequest): Promise<void> {
  const now = services.now();
  if (WAITING_STATES.has(request.state) && isExpired(request, now)) {
    const expired = await applyEvents(services, request.id, [{ type: 'expire' }], SYSTEM);
    if (expired.ok) await refreshCards(services, expired.request);
    return;
  }
  // A submit whose notifications did not go out (the process stopped, Teams was down). Left
  // alone for a while so a submit still in flight finishes on its own; claimed so that one
  // instance per window retries.
  const unnotified =
    request.state === 'submitted' || (WAITING_STATES.has(request.state) && !request.cards.channel);
  if (unnotified && now.getTime() - Date.parse(request.updatedAt) >= RENOTIFY_AFTER_MS) {
    const window = Math.floor(now.getTime() / RENOTIFY_AFTER_MS);
    if (await services.store.claimOnce(`notify:${request.id}:${window}`)) {
      await notifyParties(services, request.id);
    }
    return;
  }
  if (
    request.state === 'approved' &&
    request.issuing &&
    Date.parse(request.issuing.until) <= now.getTime()
  ) {
    await recoverInterruptedIssue(services, request);
    return;
  }
  if (request.pass && !request.pass.scrubbedAt && passCardDue(request, now)) {
    await scrubPassCard(services, request.id, SYSTEM);
  }
  if (PASS_STATES.has(request.state)) {
    const methods = await services.directory.listAuthMethods(request.requester.id);
    if (newAuthenticators(request, methods).length > 0) {
      const click = { requestId: request.id, from: SYSTEM, slot: 'requester' } as const;
      await complete(services, click, SYSTEM, methods);
    }
  }
}

/**
 * Creating a pass stopped half way (the process died, the store failed): the lease ran out with
 * nothing recorded. A pass Graph may have created for this request is deleted, since nobody holds
 * it, and the request goes back to "try again".
 */
async function recoverInterruptedIssue(services: Services, request: TapRequest): Promise<void> {
  const taps = await services.directory.listTaps(request.requester.id);
  for (const tap of taps.filter(
    (t) => Date.parse(t.startDateTime) >= Date.parse(request.createdAt),
  )) {
    await services.directory.deleteTap(request.requester.id, tap.id);
  }
  const message =
    'Creating the pass was interrupted before it was recorded; any pass it made was deleted. Try again.';
  const failed = await applyEvents(
    services,
    request.id,
    [{ type: 'issue_failed', message }],
    SYSTEM,
  );
  if (failed.ok) await refreshCards(services, failed.request);
}

function passCardDue(request: TapRequest, now: Date): boolean {
  const pass = request.pass;
  if (!pass) return false;
  const shownUntil = Math.min(
    Date.parse(pass.issuedAt) + PASS_VISIBLE_MS,
    Date.parse(pass.expiresAt),
  );
  return pass.deliveredAt !== null || now.getTime() >= shownUntil;
}
