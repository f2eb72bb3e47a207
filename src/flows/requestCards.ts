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
import {
  ASSIGNABLE_STATES,
  isOpen,
  PASS_STATES,
  VERIFYING_STATES,
  type CardSlot,
  type RequestState,
  type TapRequest,
} from '../domain/request.js';
import { lostPhoneSteps, newHireSteps } from '../domain/runbooks.js';
import { describeState } from '../domain/stateMachine.js';
import { checksFor, verificationGaps } from '../domain/verification.js';
import { localDateTime, localTime, phoneEnding } from '../domain/wording.js';
import { errorSummary } from '../logger.js';
import type { Services } from '../services.js';

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

/** When a future-dated pass starts working, or null when it works from the moment it exists. */
function futureStart(request: TapRequest): string | null {
  const start = request.pass?.startsAt ?? request.startsAt;
  if (!start) return null;
  const from = Date.parse(request.pass?.issuedAt ?? request.createdAt);
  return Date.parse(start) > from + 60_000 ? start : null;
}

/** How long the pass works, as the status card says it. */
function passUse(request: TapRequest): string {
  const expiresAt = request.pass?.expiresAt ?? request.expiresAt;
  const start = futureStart(request);
  return start
    ? `It works once, from ${localDateTime(start)} until ${localDateTime(expiresAt)}.`
    : `It works once and expires at ${localTime(expiresAt)}.`;
}

/** The status card of a new starter's request, read by the manager who asked for it. */
function newHireMessage(request: TapRequest): string {
  const name = request.requester.name;
  const start = futureStart(request);
  const day = start ? ` on ${localDateTime(start)}` : '';
  switch (request.state) {
    case 'submitted':
    case 'awaiting_verification':
      return `Your request counts as your confirmation that this is really ${name}. A helpdesk agent checks ${name}'s photo ID and hands the pass over in person${day}.`;
    case 'awaiting_approval':
    case 'approved':
      return `An agent is approving the pass for ${name}. It is handed over in person, never sent in chat.`;
    case 'pass_issued':
      return `The pass for ${name} is ready. A helpdesk agent hands it over in person. ${passUse(request)}`;
    case 'delivered':
      return `${name} has the pass. Once Microsoft Authenticator is registered on their phone, this request closes by itself.`;
    case 'completed':
      return `All done: ${name} has Microsoft Authenticator registered and the pass is gone.`;
    case 'escalated':
      return 'This request needs a closer look. The helpdesk will contact you.';
    case 'denied':
    case 'cancelled':
    case 'expired':
    case 'failed':
      return request.outcomeReason ?? describeState(request.state);
  }
}

/** Hides a leading requester-facing reason for an escalation: they only hear "we'll call". */
function requesterMessage(request: TapRequest): string {
  if (request.kind === 'new_hire') return newHireMessage(request);
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
      return `${capitalise(call)} and read you a one-time pass. ${passUse(request)} Never share it with anyone, not even someone who says they are from IT.`;
    case 'delivered':
      return `You have your pass. ${passUse(request)} Follow the checklist, then press "I'm done".`;
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
  const withPass = PASS_STATES.has(request.state);
  // A new starter's card is their manager's: it follows the request but cannot act for them.
  const newHire = request.kind === 'new_hire';
  const start = futureStart(request);
  const expiry = request.pass?.expiresAt ?? request.expiresAt;
  const expiresAt = start ? localDateTime(expiry) : localTime(expiry);
  const steps = newHire
    ? newHireSteps({
        newHireName: request.requester.name,
        startsAt: start ? localDateTime(start) : null,
        expiresAt,
        securityInfoUrl: SECURITY_INFO_URL,
      })
    : lostPhoneSteps({
        phoneEnding: phoneEnding(request.phoneOnFile),
        expiresAt,
        securityInfoUrl: SECURITY_INFO_URL,
      });
  return {
    requestId: request.id,
    banner,
    title: newHire
      ? `${KIND_TITLES[request.kind]}: ${request.requester.name}`
      : KIND_TITLES[request.kind],
    stateLabel: describeState(request.state),
    stateColor: color(request.state),
    message: requesterMessage(request),
    steps: withPass ? steps.map((text) => ({ text })) : [],
    oldDevices: request.state === 'completed' && !newHire ? oldDevices : [],
    showDone: withPass && !newHire,
    canCancel: !newHire && (ASSIGNABLE_STATES.has(request.state) || request.state === 'approved'),
  };
}

export function managerCardData(request: TapRequest, banner = ''): ManagerAttestCardData {
  const facts: Fact[] = [
    { title: 'Name', value: request.requester.name },
    { title: 'Account', value: request.requester.upn },
    { title: 'Department', value: request.requester.department ?? 'not set' },
    { title: 'Asked at', value: localDateTime(request.createdAt) },
  ];
  const canAnswer = request.attestation === 'pending' && VERIFYING_STATES.has(request.state);
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
  const verifying = VERIFYING_STATES.has(request.state);
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
  if (ASSIGNABLE_STATES.has(request.state)) {
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
    notes: request.notes.map((text) => ({ text })),
    checks,
    gaps: verifying ? verificationGaps(request).map((text) => ({ text })) : [],
    lastError: request.state === 'approved' ? (request.lastError ?? '') : '',
    outcome: isOpen(request.state) ? '' : (request.outcomeReason ?? describeState(request.state)),
    canVerify: verifying,
    canReviewFlags: verifying && request.flags.length > 0 && !request.flagsReviewed,
    canAssign: ASSIGNABLE_STATES.has(request.state) && request.assignee === null,
    canUnassign: ASSIGNABLE_STATES.has(request.state) && request.assignee !== null,
    canApprove: verifying,
    canRetry: request.state === 'approved' && !leased && request.lastError !== null,
    canDeny: ASSIGNABLE_STATES.has(request.state) || (request.state === 'approved' && !leased),
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
  const withPass = PASS_STATES.has(request.state);
  const start = futureStart(request);
  // A future-dated pass expires on another day than today: say the day too.
  const until = start ? localDateTime(expiresAt) : localTime(expiresAt);
  const inPerson = request.kind === 'new_hire';
  const script = inPerson
    ? [
        `1. Meet ${request.requester.name} in person${start ? ` on ${localDateTime(start)}` : ''} and check their photo ID against the account ${request.requester.upn}. ${request.manager?.name ?? 'Their manager'} asked for this pass.`,
        '2. Let them read the pass from your screen, or read it out quietly. Never send it by chat, email or text.',
        `3. Have them sign in at ${SECURITY_INFO_URL} and add Microsoft Authenticator on their phone; the pass works once, until ${until}.`,
        '4. Press Delivered. If anything feels wrong, press Revoke.',
      ]
    : [
        `1. Call ${phone}, the number in the directory. Never call a number given in chat.`,
        `2. Ask for ${request.requester.name} and make sure you are speaking to them.`,
        '3. Read the pass slowly, character by character. Never send it by chat, email or text.',
        `4. Tell them to sign in at ${SECURITY_INFO_URL} ${start ? `from ${localDateTime(start)}` : 'now'} and add Microsoft Authenticator on the new phone; the pass works once and expires at ${until}.`,
        '5. Press Delivered. If anything feels wrong, press Revoke.',
      ];
  return {
    requestId: request.id,
    banner: options.banner ?? '',
    requesterName: request.requester.name,
    showPass,
    pass: options.pass ?? '',
    hiddenText: showPass ? '' : `The pass is no longer shown: ${hiddenReason(request)}.`,
    facts: [
      inPerson
        ? { title: 'Hand over', value: 'In person, after checking photo ID' }
        : { title: 'Call', value: phone },
      { title: 'Account', value: request.requester.upn },
      ...(start ? [{ title: 'Valid from', value: localDateTime(start) }] : []),
      { title: 'Expires', value: localDateTime(expiresAt) },
      { title: 'Use', value: 'once' },
      { title: 'Status', value: describeState(request.state) },
    ],
    handoverNote: inPerson
      ? 'Only for handing over in person, after checking photo ID. Never paste it into a chat or email.'
      : 'Only for a phone call to the number below. Never paste it into a chat or email.',
    scriptTitle: inPerson ? 'Hand-over script' : 'Call script',
    script: script.map((text) => ({ text })),
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
  const render: Partial<Record<CardSlot, () => Attachment>> = {
    channel: () => cardFor('channel', request),
    manager: () => cardFor('manager', request),
    requester: () =>
      renderCard('requestStatus', requesterCardData(request, '', options.oldDevices)),
    ...(request.pass?.scrubbedAt ? { agent: () => cardFor('agent', request) } : {}),
  };
  const slots = (Object.keys(render) as CardSlot[]).filter(
    (slot) => slot !== options.skip && request.cards[slot] !== undefined,
  );
  await Promise.all(
    slots.map(async (slot) => {
      const ref = request.cards[slot];
      const card = render[slot];
      if (!ref || !card) return;
      try {
        await services.messenger.update(ref, { attachments: [card()] });
      } catch (error) {
        services.logger.warn(
          { requestId: request.id, slot, error: errorSummary(error) },
          'could not update a card',
        );
      }
    }),
  );
}
