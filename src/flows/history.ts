import type { Attachment } from 'botbuilder';
import { renderCard } from '../cards.js';
import type { Services } from '../services.js';
import { UNKNOWN_REQUEST } from './applyEvent.js';

/** `history <request id>`: the request's audit trail, oldest first. */
export async function historyCard(services: Services, requestId: string): Promise<Attachment> {
  const request = await services.store.getRequest(requestId);
  if (!request) {
    return renderCard('notice', {
      title: 'No such request',
      text: UNKNOWN_REQUEST,
      tone: 'warning',
    });
  }
  const events = await services.store.auditForRequest(requestId);
  return renderCard('report', {
    title: `History of ${request.requester.name}'s request`,
    text: `Request ${request.id}, times in UTC.`,
    sections: [
      {
        heading: `${events.length} events`,
        lines: events.map((event) => ({
          text: [
            event.at.slice(0, 19).replace('T', ' '),
            event.actor.name,
            event.action.replaceAll('_', ' '),
            event.outcome === 'ok' ? '' : `(${event.outcome})`,
            event.reason ? `— ${event.reason}` : '',
          ]
            .filter(Boolean)
            .join(' '),
        })),
      },
    ],
  });
}
