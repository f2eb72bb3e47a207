/**
 * Every card about a request, built from the stored request alone (never from a pass), and the
 * refresh that updates each posted card in place after the request moved.
 */
import type { Attachment } from 'botbuilder';
import {
  renderCard,
  TONE_COLOR,
  type AgentPassCardData,
  type ChannelRequestCardData,
  type Fact,
  type ManagerAttestCardData,
  type RequestStatusCardData,
  type Tone,
} from '../cards.js';
import { isOpen, type CardSlot, type RequestState, type TapRequest } from '../domain/request.js';
import { lostPhoneSteps } from '../domain/runbooks.js';
import { describeState } from '../domain/stateMachine.js';
import { checksFor, verificationGaps } from '../domain/verification.js';
import { localDateTime, localTime, phoneEnding } from '../domain/wording.js';
import { errorSummary } from '../logger.js';
import type { Services } from '../services.js';

const VERIFYING: ReadonlySet<RequestState> = new Set([
  'awaiting_verification',
  'awaiting_approval',
]);
const ASSIGNABLE: ReadonlySet<RequestState> = new Set(['submitted', ...VERIFYING]);

const STATE_TONE: Record<RequestState, Tone> = {
  submitted: 'default',
  awaiting_verification: 'warning',
  awaiting_approval: 'warning',
  approved: 'default',
  pass_issued: 'good',
  delivered: 'good',
  completed: 'good',
  denied: 'attention',
  cancelled: 'default',
  expired: 'attention',
  failed: 'attention',
  escalated: 'attention',
};

export const KIND_TITLES: Record<TapRequest['kind'], string> = {
  lost_phone: 'Lost or broken phone',
  backup_pass: 'Backup pass for a phone change',
  new_hire: 'First device for a new starter',
};

const ATTESTATION_TEXT: Record<TapRequest['attestation'], (manager: string) => string> = {
  pending: (m) => `${m}: not answered yet`,
  confirmed: (m) => `${m}: confirmed it's them`,
  cannot_confirm: (m) => `${m}: could not confirm`,
  suspicious: (m) => `${m}: reported it as suspicious`,
  no_manager: () => 'No manager in the directory: helpdesk verification only',
  by_request: (m) => `${m} asked for this pass (counts as confirmation)`,
};

/** The security-info page where a person signs in with the pass and registers methods. */
export const SECURITY_INFO_URL = 'https://mysignins.microsoft.com/security-info';

const color = (state: RequestState) => TONE_COLOR[STATE_TONE[state]];

/** Hides a leading requester-facing reason for an escalation: they only hear "we'll call". */
function requesterMessage(request: TapRequest): string {
  const ending = phoneEnding(request.phoneOnFile);
  const call = ending
    ? `a helpdesk agent will call you at the number ending in ${ending} from the company directory`
    : 'the directory has no phone number for you, so the helpdesk will contact you another way';
  const manager = request.manager?.name;
  switch (request.state) {
    case 'submitted':
    case 'awaiting_verification':
      return [
        manager
          ? `${manager}, your manager, has been asked to confirm it's really you; they may call or video-call you.`
          : 'The directory shows no manager for you, so the helpdesk verifies you on their own.',
        `Then ${call}.`,
        'Nobody will ever ask you for your password or a code in chat.',
      ].join(' ');
    case 'awaiting_approval':
      return `You have been verified. An agent is approving your pass; ${call}.`;
    case 'approved':
      return `Approved. The pass is being created; ${call}.`;
    case 'pass_issued':
      return `${capitalise(call)} and read you a one-time pass. It works once and expires at ${localTime(request.pass?.expiresAt ?? request.expiresAt)}. Never share it with anyone, not even someone who says they are from IT.`;
    case 'delivered':
      return `You have your pass. It works once and expires at ${localTime(request.pass?.expiresAt ?? request.expiresAt)}. Follow the checklist, then press "I'm done".`;
    case 'completed':
      return 'All done: your new Microsoft Authenticator is registered and the pass is gone.';
    case 'escalated':
      return 'Your request needs a closer look. The helpdesk will contact you.';
    case 'denied':
    case 'cancelled':
    case 'expired':
    case 'failed':
      return request.outcomeReason ?? describeState(request.state);
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function requesterCardData(
  request: TapRequest,
  banner = '',
  oldDevices: RequestStatusCardData['oldDevices'] = [],
): RequestStatusCardData {
  const withPass = request.state === 'pass_issued' || request.state === 'delivered';
  return {
    requestId: request.id,
    banner,
    title: KIND_TITLES[request.kind],
    stateLabel: describeState(request.state),
    stateColor: color(request.state),
    message: requesterMessage(request),
    steps: withPass
      ? lostPhoneSteps({
          phoneEnding: phoneEnding(request.phoneOnFile),
          expiresAt: localTime(request.pass?.expiresAt ?? request.expiresAt),
          securityInfoUrl: SECURITY_INFO_URL,
        }).map((text) => ({ text }))
      : [],
    oldDevices: request.state === 'completed' ? oldDevices : [],
    showDone: withPass,
    canCancel: ASSIGNABLE.has(request.state) || request.state === 'approved',
  };
}

export function managerCardData(request: TapRequest, banner = ''): ManagerAttestCardData {
  const facts: Fact[] = [
    { title: 'Name', value: request.requester.name },
    { title: 'Account', value: request.requester.upn },
    { title: 'Department', value: request.requester.department ?? 'not set' },
    { title: 'Asked at', value: localDateTime(request.createdAt) },
  ];
  const canAnswer = request.attestation === 'pending' && VERIFYING.has(request.state);
  let answer = '';
  if (request.attestation !== 'pending' && request.manager) {
    answer = `You answered: ${ATTESTATION_TEXT[request.attestation](request.manager.name).replace(`${request.manager.name}: `, '')}.`;
  }
  if (!isOpen(request.state) && request.attestation === 'pending') {
    answer = `This request is closed (${describeState(request.state).toLowerCase()}); nothing more is needed from you.`;
  }
  return {
    requestId: request.id,
    banner,
    requesterName: request.requester.name,
    facts,
    canAnswer,
    answer,
  };
}

export function channelCardData(request: TapRequest, banner = ''): ChannelRequestCardData {
  const verifying = VERIFYING.has(request.state);
  const facts: Fact[] = [
    { title: 'Requester', value: request.requester.name },
    { title: 'Account', value: request.requester.upn },
    { title: 'Department', value: request.requester.department ?? 'not set' },
    { title: 'Number on file', value: request.phoneOnFile ?? 'none in the directory' },
    { title: 'Registered methods', value: request.methodsAtSubmit.join(', ') || 'none' },
    {
      title: 'Manager',
      value: ATTESTATION_TEXT[request.attestation](request.manager?.name ?? 'Manager'),
    },
    { title: 'Assigned to', value: request.assignee?.name ?? 'nobody yet' },
    { title: 'Submitted', value: localDateTime(request.createdAt) },
  ];
  if (request.approver) facts.push({ title: 'Approved by', value: request.approver.name });
  if (request.pass) {
    facts.push({ title: 'Pass expires', value: localDateTime(request.pass.expiresAt) });
    if (request.pass.deliveredAt) {
      facts.push({ title: 'Pass delivered', value: localDateTime(request.pass.deliveredAt) });
    }
  }
  if (ASSIGNABLE.has(request.state)) {
    facts.push({ title: 'Expires if untouched', value: localDateTime(request.expiresAt) });
  }
  const checks = checksFor(request).map((check) => {
    const done = request.checks[check.id] === true;
    return {
      id: check.id,
      label: check.label,
      why: check.why,
      mark: done ? '☑' : '☐',
      toggleTitle: done ? 'Undo' : 'Done',
      next: !done,
    };
  });
  const leased = request.issuing !== null;
  return {
    requestId: request.id,
    banner,
    title: `${KIND_TITLES[request.kind]}: ${request.requester.name}`,
    stateLabel: describeState(request.state),
    stateColor: color(request.state),
    facts,
    flags: request.flags.map((text) => ({
      text: request.flagsReviewed ? `${text} (reviewed)` : text,
    })),
    checks,
    gaps: verifying ? verificationGaps(request).map((text) => ({ text })) : [],
    lastError: request.state === 'approved' ? (request.lastError ?? '') : '',
    outcome: isOpen(request.state) ? '' : (request.outcomeReason ?? describeState(request.state)),
    canVerify: verifying,
    canReviewFlags: verifying && request.flags.length > 0 && !request.flagsReviewed,
    canAssign: ASSIGNABLE.has(request.state) && request.assignee === null,
    canUnassign: ASSIGNABLE.has(request.state) && request.assignee !== null,
    canApprove: verifying,
    canRetry: request.state === 'approved' && !leased && request.lastError !== null,
    canDeny: ASSIGNABLE.has(request.state) || (request.state === 'approved' && !leased),
  };
}

/** Why the agent's card no longer shows the pass. */
function hiddenReason(request: TapRequest): string {
  const pass = request.pass;
  if (pass?.deliveredAt) return `you marked it delivered at ${localTime(pass.deliveredAt)}`;
  if (!isOpen(request.state)) return `the request is ${describeState(request.state).toLowerCase()}`;
  return 'it is shown for 10 minutes at most';
}

/**
 * The agent's card. With `pass` it is the one card that ever carries the pass; without it the
 * pass is replaced by a sentence saying why it is hidden.
 */
export function agentCardData(
  request: TapRequest,
  options: { pass?: string; banner?: string } = {},
): AgentPassCardData {
  const showPass = options.pass !== undefined;
  const phone = request.phoneOnFile ?? 'no number on file: meet in person or on video';
  const expiresAt = request.pass?.expiresAt ?? request.expiresAt;
  const withPass = request.state === 'pass_issued' || request.state === 'delivered';
  return {
    requestId: request.id,
    banner: options.banner ?? '',
    requesterName: request.requester.name,
    showPass,
    pass: options.pass ?? '',
    hiddenText: showPass ? '' : `The pass is no longer shown: ${hiddenReason(request)}.`,
    facts: [
      { title: 'Call', value: phone },
      { title: 'Account', value: request.requester.upn },
      { title: 'Expires', value: localDateTime(expiresAt) },
      { title: 'Use', value: 'once' },
      { title: 'Status', value: describeState(request.state) },
    ],
    script: [
      `1. Call ${phone}, the number in the directory. Never call a number given in chat.`,
      `2. Ask for ${request.requester.name} and make sure you are speaking to them.`,
      '3. Read the pass slowly, character by character. Never send it by chat, email or text.',
      `4. Tell them to sign in at ${SECURITY_INFO_URL} now and add Microsoft Authenticator on the new phone; the pass works once and expires at ${localTime(expiresAt)}.`,
      '5. Press Delivered. If anything feels wrong, press Revoke.',
    ].map((text) => ({ text })),
    canDeliver: request.state === 'pass_issued',
    canRevoke: withPass,
  };
}

/** The card for one slot, as the clicker should see it now (with an optional banner). */
export function cardFor(slot: CardSlot, request: TapRequest, banner = ''): Attachment {
  switch (slot) {
    case 'channel':
    case 'security':
      return renderCard('channelRequest', channelCardData(request, banner));
    case 'manager':
      return renderCard('managerAttest', managerCardData(request, banner));
    case 'agent':
      return renderCard('agentPass', agentCardData(request, { banner }));
    case 'requester':
      return renderCard('requestStatus', requesterCardData(request, banner));
  }
}

/**
 * Updates every posted card of the request in place. The agent's card is left alone while it
 * still shows the pass: only the scrub (or a flow that scrubs first) may replace it. A failed
 * update is logged and the others still go out.
 */
export async function refreshCards(
  services: Services,
  request: TapRequest,
  options: { skip?: CardSlot; oldDevices?: RequestStatusCardData['oldDevices'] } = {},
): Promise<void> {
  const updates: [CardSlot, Attachment][] = [];
  const { cards } = request;
  if (cards.channel) updates.push(['channel', cardFor('channel', request)]);
  if (cards.manager) updates.push(['manager', cardFor('manager', request)]);
  if (cards.requester) {
    updates.push([
      'requester',
      renderCard('requestStatus', requesterCardData(request, '', options.oldDevices)),
    ]);
  }
  if (cards.agent && request.pass?.scrubbedAt) updates.push(['agent', cardFor('agent', request)]);
  await Promise.all(
    updates
      .filter(([slot]) => slot !== options.skip)
      .map(async ([slot, card]) => {
        const ref = cards[slot];
        if (!ref) return;
        try {
          await services.messenger.update(ref, { attachments: [card] });
        } catch (error) {
          services.logger.warn(
            { requestId: request.id, slot, error: errorSummary(error) },
            'could not update a card',
          );
        }
      }),
  );
}
