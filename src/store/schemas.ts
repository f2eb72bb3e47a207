/**
 * What a stored record must look like, shared by every store adapter: each one validates input
 * before writing and every row after reading with these schemas, so the adapters cannot drift
 * apart on what they accept.
 */
import { z } from 'zod';
import {
  type Attestation,
  type AuditEvent,
  type CardSlot,
  type NewAuditEvent,
  type NewTapRequest,
  REQUEST_KINDS,
  REQUEST_STATES,
} from '../domain/request.js';
import type { ConversationKey, NewChecklist } from '../ports.js';

// Row schemas. `satisfies { [K in keyof T]: … }` makes the compiler flag a field added to the
// domain type but not here, so a new field can never be silently dropped on write.

const personSchema = z.object({ id: z.string(), name: z.string() });
const cardRefSchema = z.object({ conversationId: z.string(), activityId: z.string() });

const CARD_SLOTS = {
  channel: 'channel',
  requester: 'requester',
  manager: 'manager',
  agent: 'agent',
  security: 'security',
} as const satisfies { [K in CardSlot]: K };

const ATTESTATIONS = {
  pending: 'pending',
  confirmed: 'confirmed',
  cannot_confirm: 'cannot_confirm',
  suspicious: 'suspicious',
  no_manager: 'no_manager',
  by_request: 'by_request',
} as const satisfies { [K in Attestation]: K };

const OUTCOMES = {
  ok: 'ok',
  refused: 'refused',
  failed: 'failed',
} as const satisfies { [K in AuditEvent['outcome']]: K };

export const requestSchema: z.ZodType<NewTapRequest> = z.object({
  id: z.string().min(1),
  kind: z.enum(REQUEST_KINDS),
  state: z.enum(REQUEST_STATES),
  requester: personSchema.extend({ upn: z.string(), department: z.string().nullable() }),
  manager: personSchema.nullable(),
  phoneOnFile: z.string().nullable(),
  methodsAtSubmit: z.array(z.string()),
  reason: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  expiresAt: z.string(),
  startsAt: z.string().nullable(),
  attestation: z.enum(ATTESTATIONS),
  checks: z.record(z.string(), z.boolean()),
  flags: z.array(z.string()),
  flagsReviewed: z.boolean(),
  // Added after the first release: rows written before it have none.
  notes: z.array(z.string()).default([]),
  assignee: personSchema.nullable(),
  approver: personSchema.nullable(),
  issuing: z.object({ by: z.string(), until: z.string() }).nullable(),
  lastError: z.string().nullable(),
  pass: z
    .object({
      methodId: z.string(),
      issuedAt: z.string(),
      startsAt: z.string(),
      expiresAt: z.string(),
      deliveredAt: z.string().nullable(),
      scrubbedAt: z.string().nullable(),
    })
    .nullable(),
  outcomeReason: z.string().nullable(),
  cards: z.partialRecord(z.enum(CARD_SLOTS), cardRefSchema),
} satisfies { [K in keyof NewTapRequest]: z.ZodType });

const auditShape = {
  at: z.string(),
  requestId: z.string().nullable(),
  kind: z.enum(REQUEST_KINDS).nullable(),
  actor: personSchema,
  action: z.string().min(1),
  outcome: z.enum(OUTCOMES),
  reason: z.string().nullable(),
} satisfies { [K in keyof NewAuditEvent]: z.ZodType };
export const newAuditSchema: z.ZodType<NewAuditEvent> = z.object(auditShape);
export const auditSchema: z.ZodType<AuditEvent> = z.object({ id: z.string(), ...auditShape });

export const checklistSchema: z.ZodType<NewChecklist> = z.object({
  id: z.string().min(1),
  ownerId: z.string().min(1),
  runbook: z.string(),
  done: z.record(z.string(), z.boolean()),
  meta: z.record(z.string(), z.string().nullable()),
  card: cardRefSchema.nullable(),
  updatedAt: z.string(),
} satisfies { [K in keyof NewChecklist]: z.ZodType });

/**
 * A conversation reference is botbuilder's to interpret: the store checks only the fields it
 * must be able to route by and keeps everything else as given.
 */
export const conversationRefSchema = z.looseObject({
  channelId: z.string().optional(),
  serviceUrl: z.string().optional(),
  conversation: z.looseObject({ id: z.string() }).optional(),
});

/** A stored row that no longer matches its schema: reported with the row, never half-read. */
export class CorruptRowError extends Error {
  constructor(where: string, detail: string) {
    super(`${where} is corrupt: ${detail}`);
    this.name = 'CorruptRowError';
  }
}

/** An update named a record that was never created; a ConflictError would send callers retrying. */
export class MissingRecordError extends Error {
  constructor(what: string) {
    super(`${what} does not exist`);
    this.name = 'MissingRecordError';
  }
}

/** Parses a stored JSON column; anything that does not match is a {@link CorruptRowError}. */
export function parseRow<T>(where: string, schema: z.ZodType<T>, json: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new CorruptRowError(where, error instanceof Error ? error.message : 'not JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new CorruptRowError(where, z.prettifyError(parsed.error));
  return parsed.data;
}

/** Checks what a caller asks to store; a mismatch is the caller's bug, so a `TypeError`. */
export function validInput<T>(what: string, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new TypeError(`${what} cannot be stored: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * ISO times with and without milliseconds or with offsets do not sort as text, so the indexed
 * columns hold one canonical UTC form; the JSON keeps what the caller wrote.
 */
export function sortableTime(value: string, what: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`${what} is not a valid time: ${value}`);
  return new Date(ms).toISOString();
}

/** One key for both kinds of conversation, so a user and a channel with the same id never collide. */
export function conversationKey(key: ConversationKey): string {
  return 'user' in key ? `user:${key.user}` : `channel:${key.channel}`;
}
