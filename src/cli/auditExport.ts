/**
 * `npm run audit`: the audit trail as CSV or JSON lines, for an auditor. Reads only; a pass is
 * never in the store, so it cannot be in the export.
 */
import { parseArgs } from 'node:util';
import { stringify } from 'csv-stringify/sync';
import type { AuditEvent } from '../domain/request.js';
import type { Store } from '../ports.js';

export type AuditFormat = 'csv' | 'jsonl';

export interface AuditQuery {
  since: string;
  until: string;
  format: AuditFormat;
  requestId?: string;
}

/** One exported row: flat, with the actor split into id and name. */
export interface AuditRow {
  at: string;
  requestId: string;
  kind: string;
  actorId: string;
  actorName: string;
  action: string;
  outcome: string;
  reason: string;
}

export const AUDIT_COLUMNS: readonly (keyof AuditRow)[] = [
  'at',
  'requestId',
  'kind',
  'actorId',
  'actorName',
  'action',
  'outcome',
  'reason',
];

export const AUDIT_USAGE =
  'usage: npm run audit -- --since 2026-01-01 [--until 2026-02-01] [--format csv|jsonl] [--request ID]';

/** Parses the command line; `now` is the default end of the range. */
export function parseAuditArgs(
  argv: readonly string[],
  now: Date,
): { ok: true; query: AuditQuery } | { ok: false; problems: string[] } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        format: { type: 'string', default: 'csv' },
        request: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    return { ok: false, problems: [error instanceof Error ? error.message : String(error)] };
  }
  const problems: string[] = [];
  const since = isoOf('--since', values.since, problems, true);
  const until = isoOf('--until', values.until, problems, false) ?? now.toISOString();
  const format = values.format;
  if (format !== 'csv' && format !== 'jsonl') problems.push('--format must be csv or jsonl');
  if (since && until && since >= until) problems.push('--since must be before --until');
  if (problems.length > 0 || !since || (format !== 'csv' && format !== 'jsonl')) {
    return { ok: false, problems };
  }
  const requestId = typeof values.request === 'string' ? values.request : undefined;
  return { ok: true, query: { since, until, format, ...(requestId ? { requestId } : {}) } };
}

function isoOf(
  flag: string,
  value: string | boolean | undefined,
  problems: string[],
  required: boolean,
): string | undefined {
  if (value === undefined) {
    if (required) problems.push(`${flag} is required, e.g. ${flag} 2026-01-01`);
    return undefined;
  }
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) {
    problems.push(`${flag} must be a date or time like 2026-01-01 or 2026-01-01T09:00:00Z`);
    return undefined;
  }
  return new Date(time).toISOString();
}

/** The events the query selects, in time order. */
export async function selectAudit(store: Store, query: AuditQuery): Promise<AuditEvent[]> {
  if (query.requestId === undefined) return store.auditBetween(query.since, query.until);
  const events = await store.auditForRequest(query.requestId);
  return events.filter((event) => event.at >= query.since && event.at < query.until);
}

export function toRow(event: AuditEvent): AuditRow {
  return {
    at: event.at,
    requestId: event.requestId ?? '',
    kind: event.kind ?? '',
    actorId: event.actor.id,
    actorName: event.actor.name,
    action: event.action,
    outcome: event.outcome,
    reason: event.reason ?? '',
  };
}

/** The export text: CSV with a header row, or one JSON object per line. */
export function formatAudit(events: readonly AuditEvent[], format: AuditFormat): string {
  const rows = events.map(toRow);
  if (format === 'jsonl') return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
  return stringify(rows, { header: true, columns: [...AUDIT_COLUMNS] });
}
