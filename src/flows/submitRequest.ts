/**
 * Submit: stores the request, then (after the click is answered) asks the directory manager to
 * attest, posts the request card in the helpdesk channel and keeps the requester's card current.
 */
import { createHash } from 'node:crypto';
import type { Attachment } from 'botbuilder';
import { renderCard } from '../cards.js';
import { riskFlags } from '../domain/riskFlags.js';
import type { CardRef, NewTapRequest, Person, RequestKind, TapRequest } from '../domain/request.js';
import { SYSTEM } from '../domain/stateMachine.js';
import { methodName } from '../domain/wording.js';
import { errorSummary } from '../logger.js';
import { ConflictError, type UserProfile } from '../ports.js';
import type { Services } from '../services.js';
import { applyEvents, patchRequest } from './applyEvent.js';
import { assessRequester } from './assessRequester.js';
import { audit } from './audit.js';
import { cardFor, refreshCards } from './requestCards.js';
import { DAY_MS } from '../domain/time.js';

export interface SubmitInput {
  requester: Person;
  kind: RequestKind;
  reason: string;
  /** The card the requester clicked Submit on; it becomes their status card. */
  card: CardRef;
  /** When the pass should start working (planned change, first day); omitted: at once. */
  startsAt?: string | null;
  /**
   * The directory manager asked for this pass themselves (new hire): it counts as their
   * attestation, and the status card (`card`) is theirs.
   */
  askedBy?: Person;
}

/** Submits a request and answers with the requester's status card (or why not). */
export async function submitRequest(services: Services, input: SubmitInput): Promise<Attachment> {
  const assessment = await assessRequester(services, input.requester);
  if (!assessment.ok) {
    return renderCard('notice', {
      title: 'TapDesk cannot help with this',
      text: assessment.message,
      tone: 'warning',
    });
  }
  const draft = await buildRequest(services, input, assessment.profile, assessment.priorRequests);
  // Two clicks on one Submit button, or Teams retrying the invoke, submit once. Claimed only now,
  // after the reads, so a Graph failure before this point leaves the button usable.
  const first = await services.store.claimOnce(
    `submit:${input.card.conversationId}:${input.card.activityId}`,
  );
  if (!first) {
    return renderCard('notice', {
      title: 'Already submitted',
      text: 'This request was already submitted. Type "status" to see where it is.',
    });
  }
  let request: TapRequest;
  try {
    request = await services.store.createRequest(draft);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // Another Submit for the same person (a second offer card, another instance) won the race.
    return renderCard('notice', {
      title: 'Already in progress',
      text: 'You already have a request in progress. Type "status" to see it.',
    });
  }
  await audit(services, {
    request,
    actor: input.askedBy ?? input.requester,
    action: 'submitted',
    outcome: 'ok',
    reason: input.reason,
  });
  services.background.run('notify parties', () => notifyParties(services, request.id));
  return cardFor('requester', request);
}

async function buildRequest(
  services: Services,
  input: SubmitInput,
  profile: UserProfile,
  priorRequests: number,
): Promise<NewTapRequest> {
  const now = services.now();
  const { user, manager, methods } = profile;
  const [audits, risk] = await Promise.all([
    services.directory.listDirectoryAuditsForUser(
      user.id,
      new Date(now.getTime() - 14 * DAY_MS).toISOString(),
    ),
    services.directory.getUserRisk(user.id),
  ]);
  const created = now.toISOString();
  return {
    id: requestIdFor(profile.user.id, priorRequests),
    kind: input.kind,
    state: 'submitted',
    requester: {
      id: user.id,
      name: user.displayName,
      upn: user.userPrincipalName,
      department: user.department,
    },
    manager: manager ? { id: manager.id, name: manager.displayName } : null,
    phoneOnFile: user.mobilePhone ?? user.businessPhones[0] ?? null,
    methodsAtSubmit: methods.map((method) => methodName(method.type, method.label)),
    reason: input.reason,
    createdAt: created,
    updatedAt: created,
    expiresAt: new Date(now.getTime() + services.config.requestTtlMinutes * 60_000).toISOString(),
    startsAt: input.startsAt ?? null,
    // Only the directory's own manager asking counts; anyone else still gets asked to attest.
    attestation:
      manager && manager.id === input.askedBy?.id
        ? 'by_request'
        : manager
          ? 'pending'
          : 'no_manager',
    checks: {},
    flags: riskFlags({ user, audits, risk, now }),
    flagsReviewed: false,
    notes:
      risk === 'unavailable'
        ? [
            "Identity risk not available: TapDesk may not read Entra ID Protection (IdentityRiskyUser.Read.All), so check the user's risk yourself if your procedure asks for it",
          ]
        : [],
    assignee: null,
    approver: null,
    issuing: null,
    lastError: null,
    pass: null,
    outcomeReason: null,
    cards: { requester: input.card },
  };
}

/**
 * Reaches the manager (installing the app for them if needed) and the helpdesk channel, then
 * moves the request to verification. Each step is skipped when already done, so the sweep can
 * finish a notification a stopped process left half done. A manager TapDesk cannot reach
 * becomes a flag the agent sees, not a lost request.
 */
export async function notifyParties(services: Services, requestId: string): Promise<void> {
  const request = await services.store.getRequest(requestId);
  if (!request) return;
  let managerCard: CardRef | undefined;
  let unreachable: string | undefined;
  if (
    request.manager &&
    request.attestation === 'pending' &&
    !request.cards.manager &&
    request.state === 'submitted'
  ) {
    try {
      managerCard = await services.messenger.sendToUser(request.manager.id, {
        attachments: [cardFor('manager', { ...request, state: 'awaiting_verification' })],
      });
    } catch (error) {
      const reason = errorSummary(error).message;
      unreachable = `TapDesk could not reach ${request.manager.name} in Teams (${reason}); ask them to open TapDesk or contact them yourself`;
      services.logger.warn(
        { requestId, error: errorSummary(error) },
        'could not reach the manager',
      );
      await audit(services, {
        request,
        actor: SYSTEM,
        action: 'manager_not_reached',
        outcome: 'failed',
        reason,
      });
    }
  }
  let current = request;
  if (request.state === 'submitted') {
    const notified = await applyEvents(
      services,
      requestId,
      [{ type: 'notified' }],
      SYSTEM,
      (r) => ({
        cards: managerCard ? { ...r.cards, manager: managerCard } : r.cards,
        flags: unreachable ? [...r.flags, unreachable] : r.flags,
      }),
    );
    if (!notified.ok) return;
    current = notified.request;
  }
  if (!current.cards.channel) {
    const channelCard = await services.messenger.sendToChannel(services.config.helpdesk.channelId, {
      attachments: [cardFor('channel', current)],
    });
    current =
      (await patchRequest(services, requestId, (r) => ({
        cards: { ...r.cards, channel: channelCard },
      }))) ?? current;
  }
  await refreshCards(services, current, { skip: 'channel' });
}

/**
 * The id of a person's next request: derived from who they are and how many requests they made
 * before (counted when eligibility was checked), so two Submits racing for the same person (two offer cards, two instances) compute the
 * same id and the store's create lets exactly one of them win. Shaped as an RFC 9562 version 8
 * UUID. Not a secret: every action on a request checks the clicker's role in the directory.
 */
function requestIdFor(requesterId: string, priorRequests: number): string {
  const hex = createHash('sha256')
    .update(`tapdesk-request:${requesterId}:${priorRequests}`)
    .digest('hex');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `8${hex.slice(13, 16)}`,
    `${variant}${hex.slice(17, 20)}`,
    hex.slice(20, 32),
  ].join('-');
}
