import { describe, expect, it } from 'vitest';
import {
  REQUEST_STATES,
  TERMINAL_STATES,
  WAITING_STATES,
  type RequestState,
  type TapRequest,
} from '../../src/domain/request.js';
import {
  SYSTEM,
  describeState,
  isExpired,
  transition,
  type Actor,
  type RefusalCode,
  type RequestEvent,
  type Transition,
} from '../../src/domain/stateMachine.js';
import {
  NOW,
  aPass,
  aRequest,
  actor,
  actors,
  anApprovedRequest,
  anIssuedRequest,
  minutesFromNow,
  people,
} from '../support/requestFactory.js';

const { ava, maya, hugo, hana, sam, olly } = actors;
/** Ava when she happens to be a helpdesk agent herself. */
const avaAgent = actor(people.ava, { isHelpdesk: true });
/** Maya when she happens to be a helpdesk agent herself. */
const mayaAgent = actor(people.maya, { isHelpdesk: true });
/** Hugo after leaving the helpdesk group. */
const hugoFormer = actor(people.hugo);

const allDone = { callback: true, identity: true };
const ready = (overrides: Partial<TapRequest> = {}): TapRequest =>
  aRequest({ state: 'awaiting_approval', attestation: 'confirmed', checks: allDone, ...overrides });
const leased = (overrides: Partial<TapRequest> = {}): TapRequest =>
  anApprovedRequest({
    issuing: { by: people.hugo.id, until: minutesFromNow(1).toISOString() },
    ...overrides,
  });

function accepted(t: Transition): Extract<Transition, { ok: true }> {
  if (!t.ok) throw new Error(`expected success, got ${t.refusal.code}: ${t.refusal.message}`);
  return t;
}

function refused(t: Transition): { code: RefusalCode; message: string } {
  if (t.ok) throw new Error(`expected a refusal, got ${t.action} → ${t.request.state}`);
  return t.refusal;
}

interface Allowed {
  name: string;
  request: TapRequest;
  event: RequestEvent;
  by: Actor;
  state: RequestState;
  action: string;
  then?: (next: TapRequest) => void;
  reason?: string | null;
  at?: Date;
}

const allowed: Allowed[] = [
  {
    name: 'the system sends a submitted request for verification',
    request: aRequest({ state: 'submitted' }),
    event: { type: 'notified' },
    by: SYSTEM,
    state: 'awaiting_verification',
    action: 'sent_for_verification',
  },
  {
    name: 'the manager confirms; checks still open keep it waiting for verification',
    request: aRequest(),
    event: { type: 'attest', answer: 'confirmed' },
    by: maya,
    state: 'awaiting_verification',
    action: 'manager_confirmed',
    then: (r) => expect(r.attestation).toBe('confirmed'),
  },
  {
    name: 'the manager confirms after the checks were ticked, making it ready',
    request: aRequest({ checks: allDone }),
    event: { type: 'attest', answer: 'confirmed' },
    by: maya,
    state: 'awaiting_approval',
    action: 'manager_confirmed',
  },
  {
    name: 'the manager cannot confirm, which keeps it waiting',
    request: aRequest({ checks: allDone }),
    event: { type: 'attest', answer: 'cannot_confirm' },
    by: maya,
    state: 'awaiting_verification',
    action: 'manager_cannot_confirm',
    then: (r) => expect(r.attestation).toBe('cannot_confirm'),
  },
  {
    name: 'the manager reports it as suspicious, which escalates it',
    request: aRequest(),
    event: { type: 'attest', answer: 'suspicious' },
    by: maya,
    state: 'escalated',
    action: 'manager_reported_suspicious',
    then: (r) => {
      expect(r.attestation).toBe('suspicious');
      expect(r.outcomeReason).toBe('Maya Manager reported this request as suspicious');
    },
  },
  {
    name: 'an agent ticks the callback',
    request: aRequest(),
    event: { type: 'tick', check: 'callback', done: true },
    by: hugo,
    state: 'awaiting_verification',
    action: 'check_ticked',
    reason: 'callback',
    then: (r) => expect(r.checks).toEqual({ callback: true }),
  },
  {
    name: 'the last tick after the manager confirmed makes it ready',
    request: aRequest({ attestation: 'confirmed', checks: { callback: true } }),
    event: { type: 'tick', check: 'identity', done: true },
    by: hugo,
    state: 'awaiting_approval',
    action: 'check_ticked',
  },
  {
    name: 'unticking a check on a ready request sends it back to verification',
    request: ready(),
    event: { type: 'tick', check: 'callback', done: false },
    by: hana,
    state: 'awaiting_verification',
    action: 'check_unticked',
    then: (r) => expect(r.checks).toEqual({ callback: false, identity: true }),
  },
  {
    name: 'an agent acknowledges there is no manager, making it ready',
    request: aRequest({ manager: null, attestation: 'no_manager', checks: allDone }),
    event: { type: 'tick', check: 'no_manager_ack', done: true },
    by: hugo,
    state: 'awaiting_approval',
    action: 'check_ticked',
  },
  {
    name: 'a new hire is ready once photo ID was checked in person',
    request: aRequest({ kind: 'new_hire', attestation: 'by_request' }),
    event: { type: 'tick', check: 'identity', done: true },
    by: hugo,
    state: 'awaiting_approval',
    action: 'check_ticked',
  },
  {
    name: 'reviewing the flags of an otherwise verified request makes it ready',
    request: aRequest({ attestation: 'confirmed', checks: allDone, flags: ['Phone changed'] }),
    event: { type: 'review_flags' },
    by: hugo,
    state: 'awaiting_approval',
    action: 'flags_reviewed',
    then: (r) => expect(r.flagsReviewed).toBe(true),
  },
  {
    name: 'reviewing the flags while the manager has not answered keeps it waiting',
    request: aRequest({ checks: allDone, flags: ['Phone changed'] }),
    event: { type: 'review_flags' },
    by: hugo,
    state: 'awaiting_verification',
    action: 'flags_reviewed',
  },
  {
    name: 'an agent takes an unassigned request',
    request: aRequest(),
    event: { type: 'assign' },
    by: hugo,
    state: 'awaiting_verification',
    action: 'assigned',
    then: (r) => expect(r.assignee).toEqual(people.hugo),
  },
  {
    name: "any agent may unassign a colleague's request",
    request: aRequest({ assignee: { ...people.hugo } }),
    event: { type: 'unassign' },
    by: hana,
    state: 'awaiting_verification',
    action: 'unassigned',
    reason: 'Hugo Helpdesk',
    then: (r) => expect(r.assignee).toBeNull(),
  },
  {
    name: 'an agent approves a ready request and becomes its assignee',
    request: ready(),
    event: { type: 'approve' },
    by: hugo,
    state: 'approved',
    action: 'approved',
    then: (r) => {
      expect(r.approver).toEqual(people.hugo);
      expect(r.assignee).toEqual(people.hugo);
    },
  },
  {
    name: 'approving keeps the agent who was already assigned',
    request: ready({ assignee: { ...people.hana } }),
    event: { type: 'approve' },
    by: hugo,
    state: 'approved',
    action: 'approved',
    then: (r) => {
      expect(r.approver).toEqual(people.hugo);
      expect(r.assignee).toEqual(people.hana);
    },
  },
  {
    name: 'the approver starts creating the pass under a lease',
    request: anApprovedRequest(),
    event: { type: 'begin_issue', leaseSeconds: 30 },
    by: hugo,
    state: 'approved',
    action: 'issue_started',
    then: (r) =>
      expect(r.issuing).toEqual({ by: people.hugo.id, until: '2025-06-02T10:00:30.000Z' }),
  },
  {
    name: 'the system may start creating the pass (retry)',
    request: anApprovedRequest({ lastError: 'Graph was unavailable' }),
    event: { type: 'begin_issue', leaseSeconds: 30 },
    by: SYSTEM,
    state: 'approved',
    action: 'issue_started',
    then: (r) => expect(r.issuing?.by).toBe('system'),
  },
  {
    name: 'a failed creation releases the lease and keeps the error',
    request: leased(),
    event: { type: 'issue_failed', message: 'Graph refused: the TAP policy is disabled' },
    by: SYSTEM,
    state: 'approved',
    action: 'issue_failed',
    reason: 'Graph refused: the TAP policy is disabled',
    then: (r) => {
      expect(r.issuing).toBeNull();
      expect(r.lastError).toBe('Graph refused: the TAP policy is disabled');
    },
  },
  {
    name: 'a created pass is recorded and the lease and last error cleared',
    request: leased({ lastError: 'earlier failure' }),
    event: { type: 'issued', pass: aPass() },
    by: SYSTEM,
    state: 'pass_issued',
    action: 'pass_issued',
    then: (r) => {
      expect(r.pass).toEqual(aPass());
      expect(r.issuing).toBeNull();
      expect(r.lastError).toBeNull();
    },
  },
  {
    name: 'the approver marks the pass delivered',
    request: anIssuedRequest(),
    event: { type: 'deliver' },
    by: hugo,
    state: 'delivered',
    action: 'pass_delivered',
    then: (r) => expect(r.pass?.deliveredAt).toBe(NOW.toISOString()),
  },
  {
    name: 'a former agent who approved may still mark the pass delivered',
    request: anIssuedRequest(),
    event: { type: 'deliver' },
    by: hugoFormer,
    state: 'delivered',
    action: 'pass_delivered',
  },
  ...(['pass_issued', 'delivered', 'completed', 'cancelled', 'failed'] as const).map(
    (state): Allowed => ({
      name: `the system scrubs the pass card of a request that is ${state}`,
      request: anIssuedRequest({ state }),
      event: { type: 'scrub' },
      by: SYSTEM,
      state,
      action: 'pass_scrubbed',
      then: (r) => expect(r.pass?.scrubbedAt).toBe(NOW.toISOString()),
    }),
  ),
  {
    name: 'the approver revokes an issued pass, even after leaving the helpdesk',
    request: anIssuedRequest(),
    event: { type: 'revoke', reason: 'Caller could not answer the questions' },
    by: hugoFormer,
    state: 'cancelled',
    action: 'pass_revoked',
    reason: 'Caller could not answer the questions',
    then: (r) =>
      expect(r.outcomeReason).toBe(
        'Pass revoked: Caller could not answer the questions (by Hugo Helpdesk)',
      ),
  },
  {
    name: 'another agent revokes a delivered pass',
    request: anIssuedRequest({ state: 'delivered' }),
    event: { type: 'revoke', reason: '  ' },
    by: hana,
    state: 'cancelled',
    action: 'pass_revoked',
    then: (r) => expect(r.outcomeReason).toBe('Pass revoked: no reason given (by Hana Helpdesk)'),
  },
  ...(
    [
      ['the requester', ava, 'delivered'],
      ['an agent', hana, 'pass_issued'],
      ['the system', SYSTEM, 'delivered'],
    ] as const
  ).map(([who, by, state]): Allowed => ({
    name: `${who} completes a request that is ${state}`,
    request: anIssuedRequest({ state }),
    event: { type: 'complete' },
    by,
    state: 'completed',
    action: 'completed',
  })),
  ...[...WAITING_STATES].map((state): Allowed => ({
    name: `an agent denies a request that is ${state}, with a reason`,
    request: aRequest({ state }),
    event: { type: 'deny', reason: ' No answer at the number on file ' },
    by: hana,
    state: 'denied',
    action: 'denied',
    reason: 'No answer at the number on file',
    then: (r) =>
      expect(r.outcomeReason).toBe('Denied by Hana Helpdesk: No answer at the number on file'),
  })),
  ...[...WAITING_STATES].map((state): Allowed => ({
    name: `the requester cancels a request that is ${state}`,
    request: aRequest({ state }),
    event: { type: 'cancel' },
    by: ava,
    state: 'cancelled',
    action: 'cancelled',
    then: (r) => expect(r.outcomeReason).toBe('Cancelled by the requester'),
  })),
  ...[...WAITING_STATES].map((state): Allowed => ({
    name: `the system expires a request that is ${state} at its expiry time`,
    request: aRequest({ state }),
    event: { type: 'expire' },
    by: SYSTEM,
    at: minutesFromNow(240),
    state: 'expired',
    action: 'expired',
    then: (r) => expect(r.outcomeReason).toBe('Expired at 14:00 UTC'),
  })),
  ...[...WAITING_STATES].flatMap((state): Allowed[] => [
    {
      name: `the system escalates a request that is ${state}`,
      request: aRequest({ state }),
      event: { type: 'escalate', reason: 'Repeated failed sign-ins' },
      by: SYSTEM,
      state: 'escalated',
      action: 'escalated',
      reason: 'Repeated failed sign-ins',
      then: (r) => expect(r.outcomeReason).toBe('Repeated failed sign-ins'),
    },
    {
      name: `security escalates a request that is ${state}`,
      request: aRequest({ state }),
      event: { type: 'escalate', reason: 'Known phishing campaign' },
      by: sam,
      state: 'escalated',
      action: 'escalated',
    },
  ]),
  ...REQUEST_STATES.filter((s) => !TERMINAL_STATES.has(s)).map((state): Allowed => ({
    name: `the system fails a request that is ${state}`,
    request: aRequest({ state, issuing: { by: 'x', until: minutesFromNow(1).toISOString() } }),
    event: { type: 'fail', reason: 'The store rejected the update three times' },
    by: SYSTEM,
    state: 'failed',
    action: 'failed',
    reason: 'The store rejected the update three times',
    then: (r) => {
      expect(r.outcomeReason).toBe('The store rejected the update three times');
      expect(r.issuing).toBeNull();
    },
  })),
];

describe('transition: allowed moves', () => {
  it.each(allowed)('$name', ({ request, event, by, state, action, then, reason, at }) => {
    const now = at ?? NOW;
    const t = accepted(transition(request, event, by, now));
    expect(t.request.state).toBe(state);
    expect(t.action).toBe(action);
    if (reason !== undefined) expect(t.reason).toBe(reason);
    expect(t.request.updatedAt).toBe(now.toISOString());
    expect(t.request.etag).toBe(request.etag);
    then?.(t.request);
  });
});

interface Refused {
  name: string;
  request: TapRequest;
  event: RequestEvent;
  by: Actor;
  code: RefusalCode;
  message?: string | RegExp;
}

const refusals: Refused[] = [
  // notified
  {
    name: 'a person cannot mark a request as sent for verification',
    request: aRequest({ state: 'submitted' }),
    event: { type: 'notified' },
    by: hugo,
    code: 'not_allowed',
    message: 'Only TapDesk itself can send a request for verification.',
  },
  {
    name: 'a request already under verification is not sent again',
    request: aRequest(),
    event: { type: 'notified' },
    by: SYSTEM,
    code: 'wrong_state',
    message:
      'You cannot send this request for verification again now: the request is "Waiting for verification".',
  },
  // attest
  {
    name: 'the requester cannot attest for themselves',
    request: aRequest(),
    event: { type: 'attest', answer: 'confirmed' },
    by: ava,
    code: 'self_action',
  },
  {
    name: 'only the directory manager may attest',
    request: aRequest(),
    event: { type: 'attest', answer: 'confirmed' },
    by: hugo,
    code: 'not_allowed',
    message: "Only Maya Manager, Ava Employee's manager in the directory, can answer this.",
  },
  {
    name: 'nobody attests when the directory shows no manager',
    request: aRequest({ manager: null, attestation: 'no_manager' }),
    event: { type: 'attest', answer: 'confirmed' },
    by: maya,
    code: 'not_allowed',
  },
  {
    name: 'the manager answers only once',
    request: aRequest({ attestation: 'cannot_confirm' }),
    event: { type: 'attest', answer: 'confirmed' },
    by: maya,
    code: 'already_done',
    message: 'Maya Manager already answered for this request (cannot confirm).',
  },
  {
    name: 'the manager cannot attest once the request was approved',
    request: anApprovedRequest({ attestation: 'pending' }),
    event: { type: 'attest', answer: 'confirmed' },
    by: maya,
    code: 'wrong_state',
  },
  {
    name: 'the manager cannot attest before the request was sent for verification',
    request: aRequest({ state: 'submitted' }),
    event: { type: 'attest', answer: 'confirmed' },
    by: maya,
    code: 'wrong_state',
  },
  // tick
  {
    name: 'someone outside the helpdesk cannot tick checks',
    request: aRequest(),
    event: { type: 'tick', check: 'callback', done: true },
    by: olly,
    code: 'not_allowed',
    message: 'Only helpdesk agents can tick verification checks.',
  },
  {
    name: 'an agent cannot tick checks on their own request',
    request: aRequest(),
    event: { type: 'tick', check: 'callback', done: true },
    by: avaAgent,
    code: 'self_action',
  },
  {
    name: 'the attesting manager cannot tick helpdesk checks',
    request: aRequest(),
    event: { type: 'tick', check: 'callback', done: true },
    by: mayaAgent,
    code: 'self_action',
  },
  {
    name: 'an unknown check id is refused',
    request: aRequest(),
    event: { type: 'tick', check: 'vibes', done: true },
    by: hugo,
    code: 'not_allowed',
    message: '"vibes" is not a verification check for this request.',
  },
  {
    name: 'the no-manager acknowledgement is unknown while a manager exists',
    request: aRequest(),
    event: { type: 'tick', check: 'no_manager_ack', done: true },
    by: hugo,
    code: 'not_allowed',
  },
  {
    name: 'a new hire has no callback check',
    request: aRequest({ kind: 'new_hire', attestation: 'by_request' }),
    event: { type: 'tick', check: 'callback', done: true },
    by: hugo,
    code: 'not_allowed',
  },
  {
    name: 'checks are frozen once approved',
    request: anApprovedRequest(),
    event: { type: 'tick', check: 'callback', done: false },
    by: hugo,
    code: 'wrong_state',
  },
  {
    name: 'ticking a ticked check again is refused',
    request: aRequest({ checks: { callback: true } }),
    event: { type: 'tick', check: 'callback', done: true },
    by: hana,
    code: 'already_done',
    message: '"Called the number on file and spoke to the person" is already ticked.',
  },
  // review_flags
  {
    name: 'someone outside the helpdesk cannot review flags',
    request: aRequest({ flags: ['x'] }),
    event: { type: 'review_flags' },
    by: olly,
    code: 'not_allowed',
  },
  {
    name: 'the requester cannot review the flags on their own request',
    request: aRequest({ flags: ['x'] }),
    event: { type: 'review_flags' },
    by: avaAgent,
    code: 'self_action',
  },
  {
    name: 'the attesting manager cannot review the flags',
    request: aRequest({ flags: ['x'] }),
    event: { type: 'review_flags' },
    by: mayaAgent,
    code: 'self_action',
  },
  {
    name: 'flags are reviewed only once',
    request: aRequest({ flags: ['x'], flagsReviewed: true }),
    event: { type: 'review_flags' },
    by: hugo,
    code: 'already_done',
  },
  {
    name: 'flags cannot be reviewed after approval',
    request: anApprovedRequest({ flags: ['x'] }),
    event: { type: 'review_flags' },
    by: hugo,
    code: 'wrong_state',
  },
  // assign / unassign
  {
    name: 'someone outside the helpdesk cannot take a request',
    request: aRequest(),
    event: { type: 'assign' },
    by: olly,
    code: 'not_allowed',
  },
  {
    name: 'an agent cannot take their own request',
    request: aRequest(),
    event: { type: 'assign' },
    by: avaAgent,
    code: 'self_action',
  },
  {
    name: 'taking a request you already hold is refused',
    request: aRequest({ assignee: { ...people.hugo } }),
    event: { type: 'assign' },
    by: hugo,
    code: 'already_done',
    message: 'This request is already assigned to you.',
  },
  {
    name: "taking a colleague's request names the colleague",
    request: aRequest({ assignee: { ...people.hana } }),
    event: { type: 'assign' },
    by: hugo,
    code: 'already_done',
    message: 'Hana Helpdesk is already working on this request; ask them, or unassign it first.',
  },
  {
    name: 'an approved request cannot be reassigned',
    request: anApprovedRequest({ assignee: null }),
    event: { type: 'assign' },
    by: hana,
    code: 'wrong_state',
  },
  {
    name: 'someone outside the helpdesk cannot unassign',
    request: aRequest({ assignee: { ...people.hugo } }),
    event: { type: 'unassign' },
    by: olly,
    code: 'not_allowed',
  },
  {
    name: 'unassigning an unassigned request is refused',
    request: aRequest(),
    event: { type: 'unassign' },
    by: hugo,
    code: 'already_done',
    message: 'Nobody is assigned to this request.',
  },
  {
    name: 'an approved request cannot be unassigned',
    request: anApprovedRequest(),
    event: { type: 'unassign' },
    by: hugo,
    code: 'wrong_state',
  },
  // approve
  {
    name: 'approval waits for verification and lists the gaps',
    request: aRequest({ attestation: 'confirmed', checks: { callback: true } }),
    event: { type: 'approve' },
    by: hugo,
    code: 'not_ready',
    message:
      'Not ready to approve yet. Not done yet: "Asked the identity questions from the helpdesk procedure".',
  },
  {
    name: 'approval waits for flags to be reviewed',
    request: aRequest({ attestation: 'confirmed', checks: allDone, flags: ['Phone changed'] }),
    event: { type: 'approve' },
    by: hugo,
    code: 'not_ready',
    message: /Review the risk flags first: Phone changed\./,
  },
  {
    name: 'a request not yet sent for verification is not ready',
    request: aRequest({ state: 'submitted', attestation: 'confirmed', checks: allDone }),
    event: { type: 'approve' },
    by: hugo,
    code: 'not_ready',
    message: 'Not ready to approve yet. Verification has not started.',
  },
  {
    name: 'a second approval names who approved',
    request: anApprovedRequest(),
    event: { type: 'approve' },
    by: hana,
    code: 'already_done',
    message: 'Hugo Helpdesk already approved this request.',
  },
  {
    name: 'approving after the pass exists says so',
    request: anIssuedRequest(),
    event: { type: 'approve' },
    by: hugo,
    code: 'already_done',
    message: 'Hugo Helpdesk already approved this request and the pass was created.',
  },
  // begin_issue
  {
    name: 'only the approver starts creating the pass',
    request: anApprovedRequest(),
    event: { type: 'begin_issue', leaseSeconds: 30 },
    by: hana,
    code: 'not_allowed',
    message: 'Only Hugo Helpdesk, who approved this request, can create the pass.',
  },
  {
    name: 'an approver who left the helpdesk cannot retry creating the pass',
    request: anApprovedRequest({ lastError: 'Graph said no' }),
    event: { type: 'begin_issue', leaseSeconds: 30 },
    by: hugoFormer,
    code: 'not_allowed',
    message: 'Only helpdesk agents can create the pass.',
  },
  {
    name: 'no pass is created before approval',
    request: ready(),
    event: { type: 'begin_issue', leaseSeconds: 30 },
    by: SYSTEM,
    code: 'wrong_state',
  },
  {
    name: 'no second pass is created once one exists',
    request: anIssuedRequest(),
    event: { type: 'begin_issue', leaseSeconds: 30 },
    by: hugo,
    code: 'already_done',
    message: 'The pass for this request was already created.',
  },
  {
    name: 'no pass is created while another creation holds the lease',
    request: leased(),
    event: { type: 'begin_issue', leaseSeconds: 30 },
    by: hugo,
    code: 'already_done',
    message: 'A pass is being created for this request right now.',
  },
  // issue_failed / issued
  {
    name: 'a person cannot record a failed creation',
    request: leased(),
    event: { type: 'issue_failed', message: 'x' },
    by: hugo,
    code: 'not_allowed',
  },
  {
    name: 'a failed creation is not recorded after the pass exists',
    request: anIssuedRequest(),
    event: { type: 'issue_failed', message: 'x' },
    by: SYSTEM,
    code: 'wrong_state',
  },
  {
    name: 'a person cannot record a created pass',
    request: leased(),
    event: { type: 'issued', pass: aPass() },
    by: hugo,
    code: 'not_allowed',
  },
  {
    name: 'a created pass is recorded only once',
    request: anIssuedRequest(),
    event: { type: 'issued', pass: aPass({ methodId: 'other' }) },
    by: SYSTEM,
    code: 'already_done',
  },
  {
    name: 'a pass is not recorded on a request that was never approved',
    request: ready(),
    event: { type: 'issued', pass: aPass() },
    by: SYSTEM,
    code: 'wrong_state',
  },
  // deliver
  {
    name: 'only the approver marks the pass delivered',
    request: anIssuedRequest(),
    event: { type: 'deliver' },
    by: hana,
    code: 'not_allowed',
    message: 'Only Hugo Helpdesk, who approved this pass, can mark it delivered.',
  },
  {
    name: 'delivering twice names when it was delivered',
    request: anIssuedRequest({
      state: 'delivered',
      pass: aPass({ deliveredAt: '2025-06-02T09:42:00.000Z' }),
    }),
    event: { type: 'deliver' },
    by: hugo,
    code: 'already_done',
    message: 'Hugo Helpdesk already marked the pass delivered at 09:42 UTC.',
  },
  {
    name: 'there is nothing to deliver before the pass exists',
    request: anApprovedRequest(),
    event: { type: 'deliver' },
    by: hugo,
    code: 'wrong_state',
  },
  // scrub
  {
    name: 'a person cannot scrub a pass card',
    request: anIssuedRequest(),
    event: { type: 'scrub' },
    by: hugo,
    code: 'not_allowed',
  },
  {
    name: 'there is nothing to scrub without a pass',
    request: anApprovedRequest(),
    event: { type: 'scrub' },
    by: SYSTEM,
    code: 'wrong_state',
  },
  {
    name: 'a pass card is scrubbed once',
    request: anIssuedRequest({ pass: aPass({ scrubbedAt: NOW.toISOString() }) }),
    event: { type: 'scrub' },
    by: SYSTEM,
    code: 'already_done',
  },
  // revoke
  {
    name: 'the requester cannot revoke their own pass',
    request: anIssuedRequest(),
    event: { type: 'revoke', reason: 'x' },
    by: avaAgent,
    code: 'self_action',
  },
  {
    name: 'someone outside the helpdesk who did not approve cannot revoke',
    request: anIssuedRequest(),
    event: { type: 'revoke', reason: 'x' },
    by: olly,
    code: 'not_allowed',
  },
  {
    name: 'revoking before the pass exists points to deny',
    request: anApprovedRequest(),
    event: { type: 'revoke', reason: 'x' },
    by: hugo,
    code: 'wrong_state',
    message: 'There is no pass to revoke yet; deny the request instead.',
  },
  // complete
  {
    name: 'the manager cannot complete the request',
    request: anIssuedRequest(),
    event: { type: 'complete' },
    by: maya,
    code: 'not_allowed',
  },
  {
    name: 'a request cannot be completed before its pass exists',
    request: ready(),
    event: { type: 'complete' },
    by: ava,
    code: 'wrong_state',
  },
  // deny
  {
    name: 'the requester cannot deny their own request',
    request: aRequest(),
    event: { type: 'deny', reason: 'x' },
    by: avaAgent,
    code: 'self_action',
  },
  {
    name: 'someone outside the helpdesk cannot deny',
    request: aRequest(),
    event: { type: 'deny', reason: 'x' },
    by: maya,
    code: 'not_allowed',
  },
  {
    name: 'a denial needs a reason',
    request: aRequest(),
    event: { type: 'deny', reason: '   ' },
    by: hugo,
    code: 'not_allowed',
    message: 'Give a reason for denying; the requester will read it.',
  },
  {
    name: 'a request with a pass cannot be denied',
    request: anIssuedRequest(),
    event: { type: 'deny', reason: 'x' },
    by: hana,
    code: 'wrong_state',
  },
  {
    name: 'a request cannot be denied while its pass is being created',
    request: leased(),
    event: { type: 'deny', reason: 'x' },
    by: hana,
    code: 'wrong_state',
    message: /A pass is being created for this request right now/,
  },
  // cancel
  {
    name: 'only the requester cancels',
    request: aRequest(),
    event: { type: 'cancel' },
    by: hugo,
    code: 'not_allowed',
    message: 'Only Ava Employee, who asked for this pass, can cancel the request.',
  },
  {
    name: 'cancelling after the pass exists points to the helpdesk',
    request: anIssuedRequest(),
    event: { type: 'cancel' },
    by: ava,
    code: 'wrong_state',
    message: /ask the helpdesk to revoke it/,
  },
  {
    name: 'a request cannot be cancelled while its pass is being created',
    request: leased(),
    event: { type: 'cancel' },
    by: ava,
    code: 'wrong_state',
  },
  // expire
  {
    name: 'a person cannot expire a request',
    request: aRequest(),
    event: { type: 'expire' },
    by: hugo,
    code: 'not_allowed',
  },
  {
    name: 'a request is not expired before its time',
    request: aRequest(),
    event: { type: 'expire' },
    by: SYSTEM,
    code: 'wrong_state',
    message: 'This request does not expire until 14:00 UTC.',
  },
  {
    name: 'a request with a pass does not expire',
    request: anIssuedRequest({ expiresAt: minutesFromNow(-1).toISOString() }),
    event: { type: 'expire' },
    by: SYSTEM,
    code: 'wrong_state',
  },
  {
    name: 'a request is not expired while its pass is being created',
    request: leased({ expiresAt: NOW.toISOString() }),
    event: { type: 'expire' },
    by: SYSTEM,
    code: 'wrong_state',
  },
  // escalate
  {
    name: 'a helpdesk agent outside security cannot escalate',
    request: aRequest(),
    event: { type: 'escalate', reason: 'x' },
    by: hugo,
    code: 'not_allowed',
    message: 'Only the security team can escalate a request.',
  },
  {
    name: 'a request with a pass is revoked, not escalated',
    request: anIssuedRequest(),
    event: { type: 'escalate', reason: 'x' },
    by: sam,
    code: 'wrong_state',
  },
  {
    name: 'a request is not escalated while its pass is being created',
    request: leased(),
    event: { type: 'escalate', reason: 'x' },
    by: SYSTEM,
    code: 'wrong_state',
  },
  // fail
  {
    name: 'a person cannot fail a request',
    request: aRequest(),
    event: { type: 'fail', reason: 'x' },
    by: hugo,
    code: 'not_allowed',
  },
];

describe('transition: refusals', () => {
  it.each(refusals)('$name', ({ request, event, by, code, message }) => {
    const before = structuredClone(request);
    const refusal = refused(transition(request, event, by, NOW));
    expect(refusal.code).toBe(code);
    if (typeof message === 'string') expect(refusal.message).toBe(message);
    else if (message) expect(refusal.message).toMatch(message);
    expect(refusal.message).toMatch(/[.!]$/);
    expect(request).toEqual(before);
  });

  it('throws on a lease that is not a positive number of seconds (a caller bug)', () => {
    for (const leaseSeconds of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() =>
        transition(anApprovedRequest(), { type: 'begin_issue', leaseSeconds }, hugo, NOW),
      ).toThrow(RangeError);
    }
  });
});

describe('separation of duties on approval', () => {
  const cases: [string, Actor, RefusalCode | null][] = [
    ['the requester, even as a helpdesk agent', avaAgent, 'self_action'],
    ['the attesting manager, even as a helpdesk agent', mayaAgent, 'self_action'],
    ['the manager outside the helpdesk', maya, 'self_action'],
    ['someone outside the helpdesk', olly, 'not_allowed'],
    ['a security person outside the helpdesk', sam, 'not_allowed'],
    ['the system', SYSTEM, 'not_allowed'],
    ['a third person in the helpdesk', hugo, null],
  ];

  it.each(cases)('approval by %s → %s', (_who, by, code) => {
    const t = transition(ready(), { type: 'approve' }, by, NOW);
    if (code === null) expect(accepted(t).request.approver).toEqual(people.hugo);
    else expect(refused(t).code).toBe(code);
  });

  it("tells the manager why they cannot approve their report's request", () => {
    expect(refused(transition(ready(), { type: 'approve' }, mayaAgent, NOW)).message).toBe(
      "As Ava Employee's manager you vouch for this request, so another agent must approve.",
    );
  });

  it('stores the approver as a person, without the role flags of the click', () => {
    const next = accepted(transition(ready(), { type: 'approve' }, hugo, NOW)).request;
    expect(next.approver).toStrictEqual({ id: people.hugo.id, name: 'Hugo Helpdesk' });
  });
});

describe('expiry comes first', () => {
  const late = minutesFromNow(240);
  const expiredMessage = 'This request expired at 14:00 UTC; ask for a new one.';
  const eventsByAStrongActor: [RequestEvent, Actor, TapRequest][] = [
    [{ type: 'notified' }, SYSTEM, aRequest({ state: 'submitted' })],
    [{ type: 'attest', answer: 'confirmed' }, maya, aRequest()],
    [{ type: 'tick', check: 'callback', done: true }, hugo, aRequest()],
    [{ type: 'review_flags' }, hugo, aRequest({ flags: ['x'] })],
    [{ type: 'assign' }, hugo, aRequest()],
    [{ type: 'unassign' }, hugo, aRequest({ assignee: { ...people.hugo } })],
    [{ type: 'approve' }, hugo, ready()],
    [{ type: 'begin_issue', leaseSeconds: 30 }, hugo, anApprovedRequest()],
    [{ type: 'issue_failed', message: 'x' }, SYSTEM, leased()],
    [{ type: 'deny', reason: 'x' }, hana, aRequest()],
    [{ type: 'cancel' }, ava, aRequest()],
    [{ type: 'escalate', reason: 'x' }, sam, aRequest()],
    [{ type: 'fail', reason: 'x' }, SYSTEM, aRequest()],
  ];

  it.each(
    eventsByAStrongActor.map(([event, by, request]) => ({ type: event.type, event, by, request })),
  )('$type on a waiting request past expiry is refused', ({ event, by, request }) => {
    expect(refused(transition(request, event, by, late))).toEqual({
      code: 'expired',
      message: expiredMessage,
    });
  });

  it('allows the same events a minute before expiry', () => {
    for (const [event, by, request] of eventsByAStrongActor) {
      if (event.type === 'issue_failed') continue;
      expect(transition(request, event, by, minutesFromNow(239)).ok).toBe(true);
    }
  });

  it('reports expiry even to someone who would be refused anyway', () => {
    expect(refused(transition(ready(), { type: 'approve' }, olly, late)).code).toBe('expired');
  });

  it('still records a pass that Graph created after the request expired', () => {
    const t = accepted(transition(leased(), { type: 'issued', pass: aPass() }, SYSTEM, late));
    expect(t.request.state).toBe('pass_issued');
  });

  it('does not expire a request once its pass exists', () => {
    const issued = anIssuedRequest();
    expect(isExpired(issued, late)).toBe(false);
    expect(accepted(transition(issued, { type: 'deliver' }, hugo, late)).request.state).toBe(
      'delivered',
    );
  });
});

describe('closed requests', () => {
  const closed: [RequestState, Partial<TapRequest>, string][] = [
    ['completed', {}, 'This request was completed.'],
    [
      'denied',
      { outcomeReason: 'Denied by Hana Helpdesk: No answer at the number on file.' },
      'This request was denied by Hana Helpdesk: No answer at the number on file.',
    ],
    [
      'cancelled',
      { outcomeReason: 'Cancelled by the requester' },
      'This request was cancelled by the requester.',
    ],
    [
      'cancelled',
      { outcomeReason: 'Pass revoked: lost again (by Hugo Helpdesk)' },
      'This request was closed. Pass revoked: lost again (by Hugo Helpdesk).',
    ],
    ['expired', {}, 'This request expired at 14:00 UTC; ask for a new one.'],
    [
      'failed',
      { outcomeReason: 'Graph was unavailable' },
      'This request failed: Graph was unavailable. Ask for a new one or call the helpdesk.',
    ],
    [
      'escalated',
      { outcomeReason: 'Maya Manager reported this request as suspicious' },
      'This request was escalated to the security team: Maya Manager reported this request as suspicious.',
    ],
  ];

  it.each(closed)('a %s request says what happened to it', (state, fields, message) => {
    for (const [event, by] of [
      [{ type: 'approve' }, hugo],
      [{ type: 'cancel' }, ava],
      [{ type: 'expire' }, SYSTEM],
      [{ type: 'fail', reason: 'x' }, SYSTEM],
    ] as const) {
      expect(refused(transition(aRequest({ state, ...fields }), event, by, NOW))).toEqual({
        code: 'wrong_state',
        message,
      });
    }
  });

  it('refuses every event on every closed state', () => {
    for (const state of TERMINAL_STATES) {
      expect(refused(transition(aRequest({ state }), { type: 'notified' }, SYSTEM, NOW)).code).toBe(
        'wrong_state',
      );
    }
  });

  it('still scrubs a pass card after the request closed', () => {
    const t = transition(anIssuedRequest({ state: 'completed' }), { type: 'scrub' }, SYSTEM, NOW);
    expect(accepted(t).request.state).toBe('completed');
  });
});

describe('the pass creation lease', () => {
  const begin: RequestEvent = { type: 'begin_issue', leaseSeconds: 30 };

  it('refuses a second begin while the lease holds and allows it once it lapsed', () => {
    const first = accepted(transition(anApprovedRequest(), begin, hugo, NOW)).request;
    const at = (seconds: number): Date => new Date(NOW.getTime() + seconds * 1000);

    expect(refused(transition(first, begin, hugo, at(1))).code).toBe('already_done');
    expect(refused(transition(first, begin, SYSTEM, at(29))).code).toBe('already_done');

    const second = accepted(transition(first, begin, SYSTEM, at(30))).request;
    expect(second.issuing).toEqual({ by: 'system', until: at(60).toISOString() });
  });

  it('lets the approver try again right after a failed creation', () => {
    const started = accepted(transition(anApprovedRequest(), begin, hugo, NOW)).request;
    const failed = accepted(
      transition(started, { type: 'issue_failed', message: 'Throttled' }, SYSTEM, NOW),
    ).request;
    expect(accepted(transition(failed, begin, hugo, NOW)).request.issuing?.by).toBe(people.hugo.id);
  });
});

describe('a whole lost-phone request', () => {
  it('moves from submission to completion, becoming ready only when verification is done', () => {
    const steps: [RequestEvent, Actor, RequestState][] = [
      [{ type: 'notified' }, SYSTEM, 'awaiting_verification'],
      [{ type: 'assign' }, hugo, 'awaiting_verification'],
      [{ type: 'tick', check: 'callback', done: true }, hugo, 'awaiting_verification'],
      [{ type: 'tick', check: 'identity', done: true }, hugo, 'awaiting_verification'],
      [{ type: 'attest', answer: 'confirmed' }, maya, 'awaiting_verification'],
      [{ type: 'review_flags' }, hugo, 'awaiting_approval'],
      [{ type: 'approve' }, hugo, 'approved'],
      [{ type: 'begin_issue', leaseSeconds: 30 }, hugo, 'approved'],
      [{ type: 'issued', pass: aPass() }, SYSTEM, 'pass_issued'],
      [{ type: 'deliver' }, hugo, 'delivered'],
      [{ type: 'scrub' }, SYSTEM, 'delivered'],
      [{ type: 'complete' }, ava, 'completed'],
    ];
    let request = aRequest({ state: 'submitted', flags: ['Mobile phone changed 3 days ago'] });
    const actions: string[] = [];
    for (const [event, by, state] of steps) {
      const t = accepted(transition(request, event, by, NOW));
      expect(t.request.state, event.type).toBe(state);
      actions.push(t.action);
      request = t.request;
    }
    expect(actions).toEqual([
      'sent_for_verification',
      'assigned',
      'check_ticked',
      'check_ticked',
      'manager_confirmed',
      'flags_reviewed',
      'approved',
      'issue_started',
      'pass_issued',
      'pass_delivered',
      'pass_scrubbed',
      'completed',
    ]);
    expect(request.pass).toMatchObject({
      deliveredAt: NOW.toISOString(),
      scrubbedAt: NOW.toISOString(),
    });
  });

  it('leaves the request it was given untouched', () => {
    const request = ready();
    const before = structuredClone(request);
    const next = accepted(
      transition(request, { type: 'tick', check: 'callback', done: false }, hugo, NOW),
    );
    expect(request).toEqual(before);
    expect(next.request).not.toBe(request);
    expect(next.request.checks).not.toBe(request.checks);
  });
});

describe('isExpired', () => {
  it('is true from the expiry instant on for a waiting request', () => {
    expect(isExpired(aRequest(), minutesFromNow(239))).toBe(false);
    expect(isExpired(aRequest(), minutesFromNow(240))).toBe(true);
  });

  it('is true for an expired request and false for other closed ones', () => {
    expect(isExpired(aRequest({ state: 'expired' }), NOW)).toBe(true);
    expect(isExpired(aRequest({ state: 'denied' }), minutesFromNow(999))).toBe(false);
  });
});

describe('describeState', () => {
  it('gives every state a distinct label', () => {
    const labels = REQUEST_STATES.map(describeState);
    expect(new Set(labels).size).toBe(REQUEST_STATES.length);
    expect(describeState('awaiting_verification')).toBe('Waiting for verification');
    expect(describeState('awaiting_approval')).toBe('Waiting for approval');
  });
});
