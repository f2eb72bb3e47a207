/**
 * Numbers for the helpdesk lead: how many requests, how they ended, and how long people waited.
 * Pure: the caller reads requests and audit events from the store.
 */
import type { AuditEvent, RequestKind, RequestState, TapRequest } from './request.js';

export interface WindowStats {
  days: number;
  total: number;
  byKind: Partial<Record<RequestKind, number>>;
  byState: Partial<Record<RequestState, number>>;
  /** Median minutes from submit to the pass being created; null without any. */
  medianToPassMinutes: number | null;
  /** Median minutes from submit to completion; null without any. */
  medianToCompleteMinutes: number | null;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? null)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** Stats for requests created in the last `days` days before `now`. */
export function windowStats(
  requests: readonly TapRequest[],
  events: readonly AuditEvent[],
  days: number,
  now: Date,
): WindowStats {
  const from = now.getTime() - days * 24 * 60 * 60 * 1000;
  const inWindow = requests.filter((r) => Date.parse(r.createdAt) >= from);
  const firstAt = (requestId: string, action: string) =>
    events.find((e) => e.requestId === requestId && e.action === action && e.outcome === 'ok')?.at;
  const minutesTo = (action: string) =>
    inWindow.flatMap((r) => {
      const at = firstAt(r.id, action);
      return at ? [(Date.parse(at) - Date.parse(r.createdAt)) / 60_000] : [];
    });
  const count = <K extends string>(key: (r: TapRequest) => K) => {
    const counts: Partial<Record<K, number>> = {};
    for (const r of inWindow) counts[key(r)] = (counts[key(r)] ?? 0) + 1;
    return counts;
  };
  return {
    days,
    total: inWindow.length,
    byKind: count((r) => r.kind),
    byState: count((r) => r.state),
    medianToPassMinutes: median(minutesTo('pass_issued')),
    medianToCompleteMinutes: median(minutesTo('completed')),
  };
}
