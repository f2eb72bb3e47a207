/**
 * The one way flows change a request: read it, run the pure state machine, write it back with a
 * compare-and-swap, audit what happened. A lost race re-reads and decides again, so two clicks
 * or two instances can never both win; a refusal changes nothing and is audited too.
 */
import { isOpen, type TapRequest } from '../domain/request.js';
import {
  SYSTEM,
  isExpired,
  transition,
  type Actor,
  type RefusalCode,
  type RequestEvent,
} from '../domain/stateMachine.js';
import { ConflictError } from '../ports.js';
import type { Services } from '../services.js';
import { audit } from './audit.js';
import { refreshCards } from './requestCards.js';

/** A refusal a person reads; `not_found` is for a request id the store does not know. */
export interface FlowRefusal {
  code: RefusalCode | 'not_found';
  message: string;
}

export type Applied =
  | { ok: true; request: TapRequest; before: TapRequest }
  | { ok: false; refusal: FlowRefusal; request: TapRequest | undefined };

/** Compare-and-swap attempts before giving up; each lost race means someone else progressed. */
const MAX_ATTEMPTS = 5;

export const UNKNOWN_REQUEST =
  'TapDesk has no request with this id. The card may be from another system or was altered.';

/**
 * Applies `events` in order, all or nothing, as `actor`. `patch` adds fields the state machine
 * does not own (card references) to the same write. A waiting request found past its expiry is
 * expired first (one transition, whoever gets there first) and the events are refused.
 */
export async function applyEvents(
  services: Services,
  requestId: string,
  events: readonly RequestEvent[],
  actor: Actor,
  patch?: (request: TapRequest) => Partial<TapRequest>,
): Promise<Applied> {
  for (let attempt = 1; ; attempt++) {
    const before = await services.store.getRequest(requestId);
    if (before === undefined) {
      const refusal: FlowRefusal = { code: 'not_found', message: UNKNOWN_REQUEST };
      await audit(services, {
        request: null,
        actor,
        action: events[0]?.type ?? 'update',
        outcome: 'refused',
        reason: `unknown request id ${requestId.slice(0, 64)}`,
      });
      return { ok: false, refusal, request: undefined };
    }
    const now = services.now();
    try {
      const expiring = isOpen(before.state) && isExpired(before, now) && !events.some(exempt);
      // Expired first, then read again: the events are decided against the expired request.
      if (expiring && (await expire(services, before))) continue;
      const outcome = await applyTo(services, before, events, actor, now, patch);
      return outcome.ok ? { ok: true, request: outcome.request, before } : outcome;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

/** Writes fields the state machine does not own (card references), retrying lost races. */
export async function patchRequest(
  services: Services,
  requestId: string,
  patch: (request: TapRequest) => Partial<TapRequest>,
): Promise<TapRequest | undefined> {
  const applied = await applyEvents(services, requestId, [], SYSTEM, patch);
  return applied.ok ? applied.request : undefined;
}

const exempt = (event: RequestEvent) => event.type === 'expire' || event.type === 'issued';

/** Expires a request found past its time; false when it may not expire yet (a lease is held). */
async function expire(services: Services, request: TapRequest): Promise<boolean> {
  const result = transition(request, { type: 'expire' }, SYSTEM, services.now());
  if (!result.ok) return false;
  const expired = await services.store.updateRequest(result.request);
  await audit(services, { request, actor: SYSTEM, action: result.action, outcome: 'ok' });
  services.background.run('refresh expired cards', () => refreshCards(services, expired));
  return true;
}

async function applyTo(
  services: Services,
  before: TapRequest,
  events: readonly RequestEvent[],
  actor: Actor,
  now: Date,
  patch: ((request: TapRequest) => Partial<TapRequest>) | undefined,
): Promise<Applied> {
  let request = before;
  const done: { action: string; reason: string | null }[] = [];
  for (const event of events) {
    const result = transition(request, event, actor, now);
    if (!result.ok) {
      await audit(services, {
        request: before,
        actor,
        action: event.type,
        outcome: 'refused',
        reason: result.refusal.message,
      });
      return { ok: false, refusal: result.refusal, request: before };
    }
    request = result.request;
    done.push({ action: result.action, reason: result.reason });
  }
  if (patch) request = { ...request, ...patch(request) };
  const stored = await services.store.updateRequest(request);
  for (const { action, reason } of done) {
    await audit(services, { request: stored, actor, action, outcome: 'ok', reason });
  }
  return { ok: true, request: stored, before };
}
