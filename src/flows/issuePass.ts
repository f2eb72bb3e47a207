/**
 * Approve, then create the pass exactly once and hand it to the approving agent alone.
 *
 * The approval and the issuing lease are one compare-and-swap write, so of two clicks, two agents
 * or two instances exactly one holds the lease and calls Graph; everyone else is told who
 * approved. Graph's call runs after the click is answered (Teams waits only a few seconds).
 */
import { renderCard } from '../cards.js';
import {
  clampLifetime,
  GRAPH_MAX_LIFETIME_MINUTES,
  GRAPH_MIN_LIFETIME_MINUTES,
} from '../domain/eligibility.js';
import type { CardRef, PassInfo, TapRequest } from '../domain/request.js';
import { SYSTEM, type Actor } from '../domain/stateMachine.js';
import { errorSummary } from '../logger.js';
import { DirectoryError, type IssuedTap } from '../ports.js';
import type { Services } from '../services.js';
import { actOnRequest, type Click, type ClickOutcome } from './actOnRequest.js';
import { applyEvents } from './applyEvent.js';
import { agentCardData, refreshCards } from './requestCards.js';

/** Long enough for Graph's bounded retries; after it, the approver may try again. */
export const ISSUE_LEASE_SECONDS = 300;

/** *Approve & create pass*: approval and lease in one write, then the pass in the background. */
export async function approveRequest(services: Services, click: Click): Promise<ClickOutcome> {
  const outcome = await actOnRequest(services, click, [
    { type: 'approve' },
    { type: 'begin_issue', leaseSeconds: ISSUE_LEASE_SECONDS },
  ]);
  if (outcome.ok) startIssuing(services, outcome.request, outcome.actor);
  return outcome;
}

/** *Try creating the pass again* after a failure (the approver only; the lease guards it). */
export async function retryIssue(services: Services, click: Click): Promise<ClickOutcome> {
  const outcome = await actOnRequest(services, click, [
    { type: 'begin_issue', leaseSeconds: ISSUE_LEASE_SECONDS },
  ]);
  if (outcome.ok) startIssuing(services, outcome.request, outcome.actor);
  return outcome;
}

function startIssuing(services: Services, request: TapRequest, approver: Actor): void {
  const lease = request.issuing?.until;
  if (lease === undefined) return;
  services.background.run('issue pass', () => issuePass(services, request.id, approver, lease));
}

/**
 * Creates the pass in Graph and sends it in the approver's 1:1 chat. The pass lives only in this
 * function's memory; the store gets the facts about it (`PassInfo`), never the pass.
 */
async function issuePass(
  services: Services,
  requestId: string,
  approver: Actor,
  lease: string,
): Promise<void> {
  const request = await services.store.getRequest(requestId);
  // Only under the lease this click took, and only while it runs: a lease that ran out belongs
  // to the sweep, which cleans up after it.
  const mine = request?.issuing?.by === approver.id && request.issuing.until === lease;
  if (request?.state !== 'approved' || !mine || Date.parse(lease) <= services.now().getTime()) {
    return;
  }

  let tap: IssuedTap;
  try {
    tap = await services.directory.createTap(request.requester.id, {
      lifetimeInMinutes: await lifetime(services),
      isUsableOnce: true,
      ...(request.startsAt ? { startDateTime: request.startsAt } : {}),
    });
  } catch (error) {
    await recordFailure(services, requestId, failureMessage(error));
    return;
  }

  const now = services.now();
  const startsAt = tap.startDateTime || now.toISOString();
  const pass: PassInfo = {
    methodId: tap.id,
    issuedAt: now.toISOString(),
    startsAt,
    expiresAt: new Date(Date.parse(startsAt) + tap.lifetimeInMinutes * 60_000).toISOString(),
    deliveredAt: null,
    scrubbedAt: null,
  };
  let agentCard: CardRef;
  try {
    const card = agentCardData(
      { ...request, state: 'pass_issued', pass },
      { pass: tap.temporaryAccessPass },
    );
    agentCard = await services.messenger.sendToUser(approver.id, {
      attachments: [renderCard('agentPass', card)],
    });
  } catch (error) {
    services.logger.error(
      { requestId, error: errorSummary(error) },
      "could not send the pass to the approver's chat; deleting it",
    );
    await withdrawPass(services, request, tap.id, undefined);
    await recordFailure(
      services,
      requestId,
      `TapDesk created the pass but could not send it to ${approver.name}'s chat with TapDesk, so it deleted the pass again. Open a 1:1 chat with TapDesk, then try again.`,
    );
    return;
  }

  let issued: Awaited<ReturnType<typeof applyEvents>>;
  try {
    issued = await applyEvents(services, requestId, [{ type: 'issued', pass }], SYSTEM, (r) => ({
      cards: { ...r.cards, agent: agentCard },
    }));
  } catch (error) {
    issued = {
      ok: false,
      refusal: { code: 'not_ready', message: errorSummary(error).message },
      request,
    };
  }
  if (!issued.ok) {
    // A write that landed but looked failed (a timeout, a retried 412) is a success.
    const current = await services.store.getRequest(requestId).catch(() => undefined);
    if (current?.pass?.methodId === tap.id) {
      await refreshCards(services, current);
      return;
    }
  }
  if (!issued.ok) {
    // Unrecorded, the pass could never be scrubbed, revoked or cleaned up: take it back.
    services.logger.error(
      { requestId, refusal: issued.refusal },
      'could not record a created pass; deleting it',
    );
    await withdrawPass(services, request, tap.id, agentCard);
    await recordFailure(
      services,
      requestId,
      'TapDesk created the pass but could not record it, so it deleted the pass again and hid it from your chat. Try again in a minute.',
    );
    return;
  }
  await refreshCards(services, issued.request);
}

/**
 * A pass nobody can follow up on must not stay usable: delete it in Graph and, when its card
 * was already sent, replace that card with one that no longer shows it.
 */
async function withdrawPass(
  services: Services,
  request: TapRequest,
  tapId: string,
  agentCard: CardRef | undefined,
): Promise<void> {
  await services.directory
    .deleteTap(request.requester.id, tapId)
    .catch((error: unknown) =>
      services.logger.error(
        { requestId: request.id, error: errorSummary(error) },
        'could not delete a pass that was taken back',
      ),
    );
  if (!agentCard) return;
  const hidden = agentCardData(request, {
    banner: 'This pass was taken back before it was recorded; do not read it out.',
  });
  await services.messenger
    .update(agentCard, { attachments: [renderCard('agentPass', hidden)] })
    .catch((error: unknown) =>
      services.logger.error(
        { requestId: request.id, error: errorSummary(error) },
        'could not hide a pass card that was taken back',
      ),
    );
}

/** The configured lifetime within the tenant policy (or Graph's limits when it is unreadable). */
async function lifetime(services: Services): Promise<number> {
  const configured = services.config.tapLifetimeMinutes;
  try {
    return clampLifetime(configured, await services.directory.getTapPolicy());
  } catch (error) {
    if (!(error instanceof DirectoryError && error.kind === 'forbidden')) throw error;
    return Math.min(Math.max(configured, GRAPH_MIN_LIFETIME_MINUTES), GRAPH_MAX_LIFETIME_MINUTES);
  }
}

function failureMessage(error: unknown): string {
  if (error instanceof DirectoryError) {
    return `Creating the pass failed: ${error.message} Nothing was issued; try again once this is fixed.`;
  }
  return 'Creating the pass failed because of an error inside TapDesk. Nothing was issued; try again, and tell the TapDesk operators if it keeps happening.';
}

async function recordFailure(services: Services, requestId: string, message: string) {
  services.logger.warn({ requestId, reason: message }, 'creating a pass failed');
  const failed = await applyEvents(
    services,
    requestId,
    [{ type: 'issue_failed', message }],
    SYSTEM,
  );
  if (failed.ok) await refreshCards(services, failed.request);
}
