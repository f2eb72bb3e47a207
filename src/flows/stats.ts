import type { Attachment } from 'botbuilder';
import { renderCard } from '../cards.js';
import { windowStats, type WindowStats } from '../domain/stats.js';
import { describeState } from '../domain/stateMachine.js';
import type { Services } from '../services.js';
import { KIND_TITLES } from './requestCards.js';

const WINDOWS = [7, 30] as const;

const minutes = (value: number | null) =>
  value === null ? 'none yet' : `${Math.round(value)} min`;

function lines(stats: WindowStats) {
  return [
    `${stats.total} request${stats.total === 1 ? '' : 's'}`,
    ...Object.entries(stats.byKind).map(
      ([kind, n]) => `${KIND_TITLES[kind as keyof typeof KIND_TITLES]}: ${n}`,
    ),
    ...Object.entries(stats.byState).map(
      ([state, n]) => `${describeState(state as Parameters<typeof describeState>[0])}: ${n}`,
    ),
    `Median time to pass: ${minutes(stats.medianToPassMinutes)}`,
    `Median time to completion: ${minutes(stats.medianToCompleteMinutes)}`,
  ].map((text) => ({ text }));
}

/** `stats`: the last 7 and 30 days, by kind and outcome, with median waiting times. */
export async function statsCard(services: Services): Promise<Attachment> {
  const now = services.now();
  const since = new Date(now.getTime() - 30 * 24 * 60 * 60 * 1000).toISOString();
  const [requests, events] = await Promise.all([
    services.store.listRequestsSince(since),
    services.store.auditBetween(since, new Date(now.getTime() + 1).toISOString()),
  ]);
  return renderCard('report', {
    title: 'TapDesk in numbers',
    text: 'Requests by when they were made; outcome is where each request is now.',
    sections: WINDOWS.map((days) => ({
      heading: `Last ${days} days`,
      lines: lines(windowStats(requests, events, days, now)),
    })),
  });
}
