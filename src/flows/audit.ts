import type { AuditEvent, Person, TapRequest } from '../domain/request.js';
import type { Services } from '../services.js';

/** What an audit event says happened; the time comes from the services' clock. */
export interface AuditEntry {
  request: Pick<TapRequest, 'id' | 'kind'> | null;
  actor: Person;
  action: string;
  outcome: AuditEvent['outcome'];
  reason?: string | null;
}

/**
 * Appends one audit event. A failed audit write is logged and swallowed: the state change it
 * describes has already been stored, and failing the click now would invite a retry.
 */
export async function audit(services: Services, entry: AuditEntry): Promise<void> {
  try {
    await services.store.appendAudit({
      at: services.now().toISOString(),
      requestId: entry.request?.id ?? null,
      kind: entry.request?.kind ?? null,
      actor: { id: entry.actor.id, name: entry.actor.name },
      action: entry.action,
      outcome: entry.outcome,
      reason: entry.reason ?? null,
    });
  } catch (error) {
    services.logger.error(
      { err: error, requestId: entry.request?.id, action: entry.action },
      'could not write an audit event',
    );
  }
}
