import type { Attachment } from 'botbuilder';
import { renderCard } from '../cards.js';
import type { TapRequest } from '../domain/request.js';
import { describeState } from '../domain/stateMachine.js';
import type { Services } from '../services.js';
import { KIND_TITLES } from './requestCards.js';

/** A Teams link to the channel card of a request, so a queue row opens it. */
export function channelCardLink(services: Services, request: TapRequest): string | undefined {
  const card = request.cards.channel;
  if (!card) return undefined;
  const channel = card.conversationId.split(';messageid=')[0] ?? '';
  const query = new URLSearchParams({
    tenantId: services.config.tenantId,
    parentMessageId: card.activityId,
  });
  return `https://teams.microsoft.com/l/message/${encodeURIComponent(channel)}/${card.activityId}?${query.toString()}`;
}

/** How long ago, in the largest whole unit that fits. */
export function age(fromIso: string, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - Date.parse(fromIso)) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}

/** `queue`: open requests, oldest first, with state, age, who holds it and the flags. */
export async function queueCard(services: Services): Promise<Attachment> {
  const now = services.now();
  const open = await services.store.listOpenRequests();
  const lines = open.map((request) => {
    const parts = [
      `**${request.requester.name}** · ${KIND_TITLES[request.kind]}`,
      describeState(request.state),
      `${age(request.createdAt, now)} old`,
      request.assignee ? `with ${request.assignee.name}` : 'unassigned',
    ];
    if (request.flags.length > 0) {
      parts.push(`${request.flags.length} flag${request.flags.length === 1 ? '' : 's'}`);
    }
    const link = channelCardLink(services, request);
    if (link) parts.push(`[open card](${link})`);
    return { text: parts.join(' · ') };
  });
  return renderCard('report', {
    title: `Open requests: ${open.length}`,
    text: open.length === 0 ? 'Nothing is waiting.' : 'Oldest first.',
    sections: open.length === 0 ? [] : [{ heading: 'Queue', lines }],
  });
}
