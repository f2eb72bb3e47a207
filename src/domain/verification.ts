/**
 * What a helpdesk agent must have done before a pass may be approved, per kind of request, and
 * the plain-words list of what is still missing.
 */
import type { RequestKind, TapRequest } from './request.js';

/** One step of identity verification the approving side ticks off on the channel card. */
export interface VerificationCheck {
  readonly id: string;
  /** What the agent ticks, as it reads on the card. */
  readonly label: string;
  /** Why the step exists, for the card's small print. */
  readonly why: string;
}

const callback = {
  id: 'callback',
  label: 'Called the number on file and spoke to the person',
  why: "Only the number in the directory is trusted; a number typed into the chat could be an attacker's.",
} as const;

const identity = {
  id: 'identity',
  label: 'Asked the identity questions from the helpdesk procedure',
  why: 'A voice on the phone is not proof on its own; the questions tie the caller to the account.',
} as const;

/** Required checks by request kind. */
export const VERIFICATION_CHECKS = {
  lost_phone: [callback, identity],
  backup_pass: [callback, identity],
  new_hire: [
    {
      id: 'identity',
      label: 'Checked photo ID in person',
      why: "A new hire's pass is handed over in person, so the ID is checked face to face.",
    },
  ],
} as const satisfies Record<RequestKind, readonly VerificationCheck[]>;

/**
 * The extra check an agent ticks when the directory shows no manager: nobody attests, so the
 * agent acknowledges that the helpdesk's own verification is all there is.
 */
export const NO_MANAGER_CHECK = {
  id: 'no_manager_ack',
  label: 'No manager in the directory: I accept that helpdesk verification is the only check',
  why: 'Without a manager nobody else vouches for the person, so the agent confirms this on purpose.',
} as const satisfies VerificationCheck;

/** The checks every request of this kind needs before approval. */
export function requiredChecks(kind: RequestKind): readonly VerificationCheck[] {
  return VERIFICATION_CHECKS[kind];
}

/** The checks the card shows for this request: the kind's checks plus the no-manager one. */
export function checksFor(request: Pick<TapRequest, 'kind' | 'attestation'>): VerificationCheck[] {
  const checks: VerificationCheck[] = [...requiredChecks(request.kind)];
  if (request.attestation === 'no_manager') checks.push(NO_MANAGER_CHECK);
  return checks;
}

/**
 * Why approval is not allowed yet, one sentence per reason, in the order an agent would work
 * through them. An empty array means the request is ready to approve.
 */
export function verificationGaps(request: TapRequest): string[] {
  const gaps: string[] = [];
  const managerName = request.manager?.name ?? 'The manager';

  switch (request.attestation) {
    case 'pending':
      gaps.push(`Waiting for ${managerName} to confirm it is really ${request.requester.name}.`);
      break;
    case 'cannot_confirm':
      gaps.push(
        `${managerName} could not confirm it is really ${request.requester.name}; deny the request or ask them to see their manager and request again.`,
      );
      break;
    case 'suspicious':
      gaps.push(`${managerName} reported this request as suspicious.`);
      break;
    case 'confirmed':
    case 'no_manager':
    case 'by_request':
      break;
  }

  for (const check of checksFor(request)) {
    if (request.checks[check.id] !== true) gaps.push(`Not done yet: "${check.label}".`);
  }

  if (request.flags.length > 0 && !request.flagsReviewed) {
    gaps.push(`Review the risk flags first: ${request.flags.join('; ')}.`);
  }
  return gaps;
}
