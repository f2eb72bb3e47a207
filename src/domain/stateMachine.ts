/**
 * The request lifecycle as one pure function: given a request, an event and who caused it,
 * either the next request or a refusal a person can act on. Flows persist the result with a
 * compare-and-swap and write the audit event; nothing here does I/O.
 */
import {
  ASSIGNABLE_STATES,
  PASS_STATES,
  SYSTEM_ACTOR,
  VERIFYING_STATES,
  TERMINAL_STATES,
  WAITING_STATES,
  type PassInfo,
  type Person,
  type RequestState,
  type TapRequest,
} from './request.js';
import { checksFor, verificationGaps } from './verification.js';

/**
 * Who caused an event. The roles are read from the directory by the caller at click time,
 * never taken from card data; the state machine trusts these booleans and compares ids.
 */
export type Actor = Person & { isHelpdesk: boolean; isSecurity?: boolean; isSystem?: boolean };

/** TapDesk itself, for sweeps and for the outcome of calls it made (pass created, failed). */
export const SYSTEM: Actor = Object.freeze({ ...SYSTEM_ACTOR, isHelpdesk: false, isSystem: true });

/** Why an event was refused, as a code for logic and tests. */
export type RefusalCode =
  'not_allowed' | 'wrong_state' | 'not_ready' | 'expired' | 'self_action' | 'already_done';

/** A refused event: nothing changes; `message` is a sentence the clicker can act on. */
export interface Refusal {
  code: RefusalCode;
  message: string;
}

/**
 * The outcome of {@link transition}. On success `request` is a new object with `updatedAt` set
 * and the eTag untouched (the store assigns a new one); `action` is the audit log's stable
 * snake_case name and `reason` the audit reason, if any.
 */
export type Transition =
  | { ok: true; request: TapRequest; action: string; reason: string | null }
  | { ok: false; refusal: Refusal };

/** The manager's three answers on the attestation card. */
export type AttestAnswer = 'confirmed' | 'cannot_confirm' | 'suspicious';

/** Everything that can happen to a request. */
export type RequestEvent =
  | { type: 'notified' }
  | { type: 'attest'; answer: AttestAnswer }
  | { type: 'tick'; check: string; done: boolean }
  | { type: 'review_flags' }
  | { type: 'assign' }
  | { type: 'unassign' }
  | { type: 'approve' }
  | { type: 'begin_issue'; leaseSeconds: number }
  | { type: 'issue_failed'; message: string }
  | { type: 'issued'; pass: PassInfo }
  | { type: 'deliver' }
  | { type: 'scrub' }
  | { type: 'revoke'; reason: string }
  | { type: 'complete' }
  | { type: 'deny'; reason: string }
  | { type: 'cancel' }
  | { type: 'expire' }
  | { type: 'escalate'; reason: string }
  | { type: 'fail'; reason: string };

export type RequestEventType = RequestEvent['type'];

const STATE_LABELS: Record<RequestState, string> = {
  submitted: 'Submitted',
  awaiting_verification: 'Waiting for verification',
  awaiting_approval: 'Waiting for approval',
  approved: 'Approved, creating the pass',
  pass_issued: 'Pass created, not yet handed over',
  delivered: 'Pass handed over',
  completed: 'Completed',
  denied: 'Denied',
  cancelled: 'Cancelled',
  expired: 'Expired',
  failed: 'Failed',
  escalated: 'Escalated to security',
};

/** A short label for a state, as cards and the queue show it. */
export function describeState(state: RequestState): string {
  return STATE_LABELS[state];
}

/**
 * True when the request has expired: either it is in the `expired` state, or it is still
 * waiting for someone (before a pass exists) and `now` is at or past its `expiresAt`.
 */
export function isExpired(request: TapRequest, now: Date): boolean {
  if (request.state === 'expired') return true;
  return WAITING_STATES.has(request.state) && now.getTime() >= Date.parse(request.expiresAt);
}

/**
 * Applies one event. Checks run in this order: a closed request refuses everything (`scrub`
 * aside: a pass card must always be scrubbed); a waiting request past its expiry refuses
 * everything but `expire` and `issued`; then the event's own role and state rules.
 *
 * @remarks `issued` is exempt from expiry because the pass already exists in Graph by then: the
 * record has to say so, or nobody could revoke or scrub it.
 */
export function transition(
  request: TapRequest,
  event: RequestEvent,
  actor: Actor,
  now: Date,
): Transition {
  if (TERMINAL_STATES.has(request.state) && event.type !== 'scrub') {
    return refuse('wrong_state', closedMessage(request));
  }
  if (event.type !== 'expire' && event.type !== 'issued' && isExpired(request, now)) {
    return refuse(
      'expired',
      `This request expired at ${hhmm(request.expiresAt)} UTC; ask for a new one.`,
    );
  }
  return apply(request, event, actor, now);
}

// ---------------------------------------------------------------------------------------------
// Event handlers, one per event type.

interface Step<E extends RequestEvent> {
  request: TapRequest;
  event: E;
  actor: Actor;
  now: Date;
}

type Handlers = {
  [K in RequestEventType]: (step: Step<Extract<RequestEvent, { type: K }>>) => Transition;
};

function apply<E extends RequestEvent>(
  request: TapRequest,
  event: E,
  actor: Actor,
  now: Date,
): Transition {
  const handle = HANDLERS[event.type] as (step: Step<E>) => Transition;
  return handle({ request, event, actor, now });
}

const ATTEST_ACTIONS: Record<AttestAnswer, string> = {
  confirmed: 'manager_confirmed',
  cannot_confirm: 'manager_cannot_confirm',
  suspicious: 'manager_reported_suspicious',
};

const HANDLERS: Handlers = {
  notified: ({ request, actor, now }) =>
    systemOnly(actor, 'send a request for verification') ??
    (request.state === 'submitted'
      ? ok(request, now, { state: 'awaiting_verification' }, 'sent_for_verification')
      : wrongState(request, 'send this request for verification again')),

  attest: ({ request, event, actor, now }) => {
    if (actor.id === request.requester.id) {
      return refuse('self_action', 'You cannot confirm your own identity.');
    }
    if (request.manager === null) {
      return refuse(
        'not_allowed',
        'The directory shows no manager for this request, so there is nobody to confirm it.',
      );
    }
    if (actor.id !== request.manager.id) {
      return refuse(
        'not_allowed',
        `Only ${request.manager.name}, ${request.requester.name}'s manager in the directory, can answer this.`,
      );
    }
    if (!VERIFYING_STATES.has(request.state)) return wrongState(request, 'answer for this request');
    if (request.attestation !== 'pending') {
      return refuse(
        'already_done',
        `${request.manager.name} already answered for this request (${request.attestation.replace('_', ' ')}).`,
      );
    }
    const action = ATTEST_ACTIONS[event.answer];
    if (event.answer === 'suspicious') {
      return ok(
        request,
        now,
        {
          state: 'escalated',
          attestation: 'suspicious',
          outcomeReason: `${request.manager.name} reported this request as suspicious`,
        },
        action,
      );
    }
    return ok(request, now, settle({ ...request, attestation: event.answer }), action);
  },

  tick: ({ request, event, actor, now }) => {
    const refusal = helpdeskNotParty(request, actor, 'tick verification checks');
    if (refusal) return refusal;
    if (!VERIFYING_STATES.has(request.state))
      return wrongState(request, 'change verification checks');
    const check = checksFor(request).find((c) => c.id === event.check);
    if (check === undefined) {
      return refuse(
        'not_allowed',
        `"${event.check}" is not a verification check for this request.`,
      );
    }
    if ((request.checks[check.id] === true) === event.done) {
      return refuse(
        'already_done',
        `"${check.label}" is already ${event.done ? 'ticked' : 'unticked'}.`,
      );
    }
    return ok(
      request,
      now,
      settle({ ...request, checks: { ...request.checks, [check.id]: event.done } }),
      event.done ? 'check_ticked' : 'check_unticked',
      check.id,
    );
  },

  review_flags: ({ request, actor, now }) => {
    const refusal = helpdeskNotParty(request, actor, 'review the risk flags');
    if (refusal) return refusal;
    if (!VERIFYING_STATES.has(request.state)) return wrongState(request, 'review the risk flags');
    if (request.flagsReviewed) {
      return refuse('already_done', 'The risk flags on this request were already reviewed.');
    }
    return ok(request, now, settle({ ...request, flagsReviewed: true }), 'flags_reviewed');
  },

  assign: ({ request, actor, now }) => {
    const refusal = helpdeskNotParty(request, actor, 'take this request');
    if (refusal) return refusal;
    if (!ASSIGNABLE_STATES.has(request.state)) return wrongState(request, 'take this request');
    if (request.assignee?.id === actor.id) {
      return refuse('already_done', 'This request is already assigned to you.');
    }
    if (request.assignee !== null) {
      return refuse(
        'already_done',
        `${request.assignee.name} is already working on this request; ask them, or unassign it first.`,
      );
    }
    return ok(request, now, { assignee: person(actor) }, 'assigned');
  },

  // Any helpdesk agent may unassign, so a request never stays stuck with an agent who left;
  // the audit log records who did it.
  unassign: ({ request, actor, now }) => {
    if (!actor.isHelpdesk) return notHelpdesk('unassign a request');
    if (!ASSIGNABLE_STATES.has(request.state)) return wrongState(request, 'unassign this request');
    if (request.assignee === null) {
      return refuse('already_done', 'Nobody is assigned to this request.');
    }
    return ok(request, now, { assignee: null }, 'unassigned', request.assignee.name);
  },

  approve: ({ request, actor, now }) => {
    const refusal = helpdeskNotParty(request, actor, 'approve');
    if (refusal) return refusal;
    if (request.approver !== null) {
      const passNote = request.pass !== null ? ' and the pass was created' : '';
      return refuse(
        'already_done',
        `${request.approver.name} already approved this request${passNote}.`,
      );
    }
    if (request.state !== 'submitted' && !VERIFYING_STATES.has(request.state)) {
      return wrongState(request, 'approve this request');
    }
    const gaps = verificationGaps(request);
    if (request.state === 'submitted') gaps.unshift('Verification has not started.');
    if (request.state !== 'awaiting_approval' || gaps.length > 0) {
      return refuse('not_ready', `Not ready to approve yet. ${gaps.join(' ')}`);
    }
    return ok(
      request,
      now,
      { state: 'approved', approver: person(actor), assignee: request.assignee ?? person(actor) },
      'approved',
    );
  },

  begin_issue: ({ request, event, actor, now }) => {
    if (!(event.leaseSeconds > 0) || !Number.isFinite(event.leaseSeconds)) {
      throw new RangeError(`leaseSeconds must be a positive number, got ${event.leaseSeconds}`);
    }
    if (!actor.isSystem && actor.id !== request.approver?.id) {
      const who = request.approver?.name ?? 'the approving agent';
      return refuse('not_allowed', `Only ${who}, who approved this request, can create the pass.`);
    }
    // Roles are read at every click: an approver who left the helpdesk since cannot retry.
    if (!actor.isSystem) {
      const refusal = helpdeskNotParty(request, actor, 'create the pass');
      if (refusal) return refusal;
    }
    if (request.pass !== null) {
      return refuse('already_done', 'The pass for this request was already created.');
    }
    if (request.state !== 'approved') return wrongState(request, 'create a pass');
    if (leaseHeld(request, now)) {
      return refuse('already_done', 'A pass is being created for this request right now.');
    }
    const until = new Date(now.getTime() + event.leaseSeconds * 1000).toISOString();
    return ok(request, now, { issuing: { by: actor.id, until } }, 'issue_started');
  },

  issue_failed: ({ request, event, actor, now }) =>
    systemOnly(actor, 'record a failed pass creation') ??
    (request.state === 'approved'
      ? ok(request, now, { issuing: null, lastError: event.message }, 'issue_failed', event.message)
      : wrongState(request, 'record a failed pass creation')),

  issued: ({ request, event, actor, now }) => {
    const refusal = systemOnly(actor, 'record a created pass');
    if (refusal) return refusal;
    if (request.pass !== null) {
      return refuse('already_done', 'The pass for this request was already recorded.');
    }
    if (request.state !== 'approved') return wrongState(request, 'record a created pass');
    return ok(
      request,
      now,
      { state: 'pass_issued', issuing: null, lastError: null, pass: { ...event.pass } },
      'pass_issued',
    );
  },

  deliver: ({ request, actor, now }) => {
    if (actor.id !== request.approver?.id) {
      const who = request.approver?.name ?? 'the approving agent';
      return refuse('not_allowed', `Only ${who}, who approved this pass, can mark it delivered.`);
    }
    if (request.state === 'delivered' && request.pass?.deliveredAt) {
      return refuse(
        'already_done',
        `${request.approver.name} already marked the pass delivered at ${hhmm(request.pass.deliveredAt)} UTC.`,
      );
    }
    if (request.state !== 'pass_issued' || request.pass === null) {
      return wrongState(request, 'mark the pass delivered');
    }
    return ok(
      request,
      now,
      { state: 'delivered', pass: { ...request.pass, deliveredAt: now.toISOString() } },
      'pass_delivered',
    );
  },

  // Allowed whatever the state once a pass exists: the agent's card must stop showing it even
  // when the request ended some other way.
  scrub: ({ request, actor, now }) => {
    const refusal = systemOnly(actor, 'scrub a pass card');
    if (refusal) return refusal;
    if (request.pass === null) return refuse('wrong_state', 'This request has no pass to scrub.');
    if (request.pass.scrubbedAt !== null) {
      return refuse('already_done', 'The pass card for this request was already scrubbed.');
    }
    return ok(
      request,
      now,
      { pass: { ...request.pass, scrubbedAt: now.toISOString() } },
      'pass_scrubbed',
    );
  },

  revoke: ({ request, event, actor, now }) => {
    if (actor.id === request.requester.id) {
      return refuse(
        'self_action',
        'You cannot revoke the pass on your own request; ask the helpdesk.',
      );
    }
    if (!actor.isHelpdesk && actor.id !== request.approver?.id) {
      return notHelpdesk('revoke a pass');
    }
    if (!PASS_STATES.has(request.state)) {
      return refuse(
        'wrong_state',
        request.state === 'approved'
          ? 'There is no pass to revoke yet; deny the request instead.'
          : `There is no pass to revoke: the request is "${describeState(request.state)}".`,
      );
    }
    const reason = event.reason.trim() || 'no reason given';
    return ok(
      request,
      now,
      { state: 'cancelled', outcomeReason: `Pass revoked: ${reason} (by ${actor.name})` },
      'pass_revoked',
      reason,
    );
  },

  complete: ({ request, actor, now }) => {
    if (!actor.isSystem && !actor.isHelpdesk && actor.id !== request.requester.id) {
      return refuse(
        'not_allowed',
        `Only ${request.requester.name} or a helpdesk agent can complete this request.`,
      );
    }
    if (!PASS_STATES.has(request.state)) {
      return refuse(
        'wrong_state',
        `This request cannot be completed before its pass exists: it is "${describeState(request.state)}".`,
      );
    }
    return ok(request, now, { state: 'completed' }, 'completed');
  },

  deny: ({ request, event, actor, now }) => {
    if (actor.id === request.requester.id) {
      return refuse('self_action', 'You cannot deny your own request; cancel it instead.');
    }
    if (!actor.isHelpdesk) return notHelpdesk('deny a request');
    const waiting = closeableBeforePass(request, now, 'deny this request');
    if (waiting) return waiting;
    const reason = event.reason.trim();
    if (reason === '') {
      return refuse('not_allowed', 'Give a reason for denying; the requester will read it.');
    }
    return ok(
      request,
      now,
      { state: 'denied', outcomeReason: `Denied by ${actor.name}: ${reason}` },
      'denied',
      reason,
    );
  },

  cancel: ({ request, actor, now }) => {
    if (actor.id !== request.requester.id) {
      return refuse(
        'not_allowed',
        `Only ${request.requester.name}, who asked for this pass, can cancel the request.`,
      );
    }
    if (PASS_STATES.has(request.state)) {
      return refuse(
        'wrong_state',
        'Your pass has already been created; ask the helpdesk to revoke it if you no longer need it.',
      );
    }
    const waiting = closeableBeforePass(request, now, 'cancel this request');
    if (waiting) return waiting;
    return ok(
      request,
      now,
      { state: 'cancelled', outcomeReason: 'Cancelled by the requester' },
      'cancelled',
    );
  },

  expire: ({ request, actor, now }) => {
    const refusal = systemOnly(actor, 'expire a request');
    if (refusal) return refusal;
    if (!WAITING_STATES.has(request.state)) return wrongState(request, 'expire this request');
    if (!isExpired(request, now)) {
      return refuse(
        'wrong_state',
        `This request does not expire until ${hhmm(request.expiresAt)} UTC.`,
      );
    }
    const busy = closeableBeforePass(request, now, 'expire this request');
    if (busy) return busy;
    return ok(
      request,
      now,
      { state: 'expired', outcomeReason: `Expired at ${hhmm(request.expiresAt)} UTC` },
      'expired',
    );
  },

  escalate: ({ request, event, actor, now }) => {
    if (!actor.isSystem && actor.isSecurity !== true) {
      return refuse('not_allowed', 'Only the security team can escalate a request.');
    }
    if (PASS_STATES.has(request.state)) {
      return refuse(
        'wrong_state',
        'A pass already exists for this request; revoke it instead of escalating.',
      );
    }
    const busy = closeableBeforePass(request, now, 'escalate this request');
    if (busy) return busy;
    const reason = event.reason.trim() || 'escalated to security';
    return ok(request, now, { state: 'escalated', outcomeReason: reason }, 'escalated', reason);
  },

  fail: ({ request, event, actor, now }) => {
    const refusal = systemOnly(actor, 'mark a request failed');
    if (refusal) return refusal;
    const reason = event.reason.trim() || 'something went wrong';
    return ok(
      request,
      now,
      { state: 'failed', issuing: null, outcomeReason: reason },
      'failed',
      reason,
    );
  },
};

// ---------------------------------------------------------------------------------------------
// Helpers

function ok(
  request: TapRequest,
  now: Date,
  changes: Partial<TapRequest>,
  action: string,
  reason: string | null = null,
): Transition {
  return {
    ok: true,
    request: { ...request, ...changes, updatedAt: now.toISOString() },
    action,
    reason,
  };
}

function refuse(code: RefusalCode, message: string): Transition {
  return { ok: false, refusal: { code, message } };
}

/** Moves a request under verification to the state its gaps call for. */
function settle(request: TapRequest): TapRequest {
  if (!VERIFYING_STATES.has(request.state)) return request;
  const state =
    verificationGaps(request).length === 0 ? 'awaiting_approval' : 'awaiting_verification';
  return { ...request, state };
}

function person(actor: Actor): Person {
  return { id: actor.id, name: actor.name };
}

function hhmm(iso: string): string {
  return new Date(iso).toISOString().slice(11, 16);
}

function leaseHeld(request: TapRequest, now: Date): boolean {
  return request.issuing !== null && Date.parse(request.issuing.until) > now.getTime();
}

function wrongState(request: TapRequest, what: string): Transition {
  return refuse(
    'wrong_state',
    `You cannot ${what} now: the request is "${describeState(request.state)}".`,
  );
}

function systemOnly(actor: Actor, what: string): Transition | null {
  return actor.isSystem ? null : refuse('not_allowed', `Only TapDesk itself can ${what}.`);
}

function notHelpdesk(what: string): Transition {
  return refuse('not_allowed', `Only helpdesk agents can ${what}.`);
}

/**
 * Separation of duties: helpdesk work on a request is never done by its requester or by the
 * manager who attests for it, even when they are helpdesk members themselves.
 */
function helpdeskNotParty(request: TapRequest, actor: Actor, what: string): Transition | null {
  if (actor.id === request.requester.id) {
    return refuse('self_action', `You cannot ${what} on your own request; another agent must.`);
  }
  if (actor.id === request.manager?.id) {
    return refuse(
      'self_action',
      `As ${request.requester.name}'s manager you vouch for this request, so another agent must ${what}.`,
    );
  }
  return actor.isHelpdesk ? null : notHelpdesk(what);
}

/**
 * A request can be closed before its pass exists, except while a pass is being created: the
 * pass could land in Graph after the request closed, with nobody left to revoke it.
 */
function closeableBeforePass(request: TapRequest, now: Date, what: string): Transition | null {
  if (!WAITING_STATES.has(request.state)) return wrongState(request, what);
  if (leaseHeld(request, now)) {
    return refuse(
      'wrong_state',
      `A pass is being created for this request right now, so you cannot ${what}; revoke the pass once it exists.`,
    );
  }
  return null;
}

function closedMessage(request: TapRequest): string {
  const reason = request.outcomeReason?.replace(/\.+$/, '');
  switch (request.state) {
    case 'completed':
      return 'This request was completed.';
    case 'denied':
      return reason ? `This request was ${lowerFirst(reason)}.` : 'This request was denied.';
    case 'cancelled':
      return reason?.startsWith('Pass revoked')
        ? `This request was closed. ${reason}.`
        : `This request was ${lowerFirst(reason ?? 'cancelled')}.`;
    case 'expired':
      return `This request expired at ${hhmm(request.expiresAt)} UTC; ask for a new one.`;
    case 'failed':
      return `This request failed${reason ? `: ${reason}` : ''}. Ask for a new one or call the helpdesk.`;
    case 'escalated':
      return `This request was escalated to the security team${reason ? `: ${reason}` : ''}.`;
    default:
      return `This request is "${describeState(request.state)}".`;
  }
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
