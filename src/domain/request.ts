/**
 * The recovery request: what TapDesk stores about one person's way back into their account.
 * Pure data; the rules that move it live in `stateMachine.ts`.
 */

export const REQUEST_STATES = [
  'submitted',
  'awaiting_verification',
  'awaiting_approval',
  'approved',
  'pass_issued',
  'delivered',
  'completed',
  'denied',
  'cancelled',
  'expired',
  'failed',
  'escalated',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/** States after which nothing more happens to a request. */
export const TERMINAL_STATES: ReadonlySet<RequestState> = new Set([
  'completed',
  'denied',
  'cancelled',
  'expired',
  'failed',
  'escalated',
]);

/** States that still wait for a person before a pass exists (these expire after the TTL). */
export const WAITING_STATES: ReadonlySet<RequestState> = new Set([
  'submitted',
  'awaiting_verification',
  'awaiting_approval',
  'approved',
]);

/** States in which the manager and the helpdesk verify the person. */
export const VERIFYING_STATES: ReadonlySet<RequestState> = new Set([
  'awaiting_verification',
  'awaiting_approval',
]);

/** States in which an agent may take or release a request. */
export const ASSIGNABLE_STATES: ReadonlySet<RequestState> = new Set([
  'submitted',
  'awaiting_verification',
  'awaiting_approval',
]);

/** States in which a pass exists in Graph. */
export const PASS_STATES: ReadonlySet<RequestState> = new Set(['pass_issued', 'delivered']);

export const isOpen = (state: RequestState): boolean => !TERMINAL_STATES.has(state);

/** Why the person needs a pass. */
export const REQUEST_KINDS = ['lost_phone', 'backup_pass', 'new_hire'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** What the directory manager said about the requester. */
export type Attestation =
  | 'pending'
  | 'confirmed'
  | 'cannot_confirm'
  | 'suspicious'
  /** The directory shows no manager: helpdesk-only verification, flagged on the card. */
  | 'no_manager'
  /** The manager asked for the pass themselves (new hire), which counts as attestation. */
  | 'by_request';

export interface Person {
  /** Entra object id (AAD object id). */
  id: string;
  name: string;
}

/** Where a card about this request was posted, so it can be updated in place. */
export interface CardRef {
  conversationId: string;
  activityId: string;
}

/** Which card a {@link CardRef} is: one per audience. */
export type CardSlot = 'channel' | 'requester' | 'manager' | 'agent' | 'security';

/** Facts about the pass once it exists. Never the pass itself. */
export interface PassInfo {
  /** Graph id of the temporaryAccessPassAuthenticationMethod, for revoke and clean-up. */
  methodId: string;
  /** When Graph created it: the agent's card shows the pass for at most 10 minutes from here. */
  issuedAt: string;
  startsAt: string;
  expiresAt: string;
  deliveredAt: string | null;
  /** When the agent's card stopped showing the pass. */
  scrubbedAt: string | null;
}

export interface TapRequest {
  id: string;
  kind: RequestKind;
  state: RequestState;
  requester: Person & { upn: string; department: string | null };
  /** The manager as the directory said at submit time, or null when there is none. */
  manager: Person | null;
  /** Number on file in the directory (mobilePhone, else the first businessPhone). */
  phoneOnFile: string | null;
  /** Registered method types at submit time, for the agent's card. */
  methodsAtSubmit: string[];
  reason: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  /** For future-dated passes (planned change, new hire start day). */
  startsAt: string | null;
  attestation: Attestation;
  /** Verification checklist ticked by the helpdesk agent, by check id. */
  checks: Record<string, boolean>;
  /** Risk flags computed at submit; a flagged request needs `flagsReviewed`. */
  flags: string[];
  flagsReviewed: boolean;
  /** Facts for the agent that need no confirmation (e.g. identity risk could not be read). */
  notes: string[];
  assignee: Person | null;
  approver: Person | null;
  /** Lease held while a pass is being created, so only one instance calls Graph. */
  issuing: { by: string; until: string } | null;
  /** The last failed attempt to create the pass, in words an agent can act on. */
  lastError: string | null;
  pass: PassInfo | null;
  /** Why the request ended (denied, cancelled, escalated …). */
  outcomeReason: string | null;
  cards: Partial<Record<CardSlot, CardRef>>;
  /** Store-assigned concurrency token; compare-and-swap writes must present the one they read. */
  etag: string;
}

export type NewTapRequest = Omit<TapRequest, 'etag'>;

export interface AuditEvent {
  id: string;
  /** UTC ISO time. */
  at: string;
  requestId: string | null;
  kind: RequestKind | null;
  actor: Person;
  action: string;
  outcome: 'ok' | 'refused' | 'failed';
  reason: string | null;
}

export type NewAuditEvent = Omit<AuditEvent, 'id'>;

/** The actor for things TapDesk does by itself (sweeps, reminders). */
export const SYSTEM_ACTOR: Person = Object.freeze({ id: 'system', name: 'TapDesk' });
