/**
 * The common shape of a click on a request card: decide who is clicking (from the directory),
 * apply the events, refresh every card, and answer the clicker with their card — or with the
 * same card and a banner saying why nothing changed.
 */
import type { Attachment } from 'botbuilder';
import { renderCard } from '../cards.js';
import type { CardSlot, Person, TapRequest } from '../domain/request.js';
import type { Actor, RequestEvent } from '../domain/stateMachine.js';
import type { Services } from '../services.js';
import { resolveActor } from './actors.js';
import { applyEvents, type FlowRefusal } from './applyEvent.js';
import { cardFor, refreshCards } from './requestCards.js';

export interface Click {
  requestId: string;
  from: Person;
  /** The card that was clicked: the answer replaces it for the clicker. */
  slot: CardSlot;
}

export type ClickOutcome =
  | { ok: true; card: Attachment; request: TapRequest; actor: Actor }
  | { ok: false; card: Attachment; refusal: FlowRefusal };

export const NOT_YOURS = 'This card is not yours to act on, so nothing was changed.';

const nothingChanged = (text: string) =>
  renderCard('notice', { title: 'Nothing was changed', text, tone: 'warning' });

/** The answer for a refused click: the clicked card as it is now, with the reason on top. */
export function refusalCard(
  slot: CardSlot,
  request: TapRequest | undefined,
  refusal: FlowRefusal,
  viewer?: Actor,
): Attachment {
  if (request === undefined) return nothingChanged(refusal.message);
  // The reason names people and outcomes: only someone who may see the card reads it.
  if (viewer !== undefined && !mayView(slot, request, viewer)) return nothingChanged(NOT_YOURS);
  // A requester never learns from a refusal that their request was reported as suspicious.
  const message =
    request.state === 'escalated' && viewer?.id === request.requester.id
      ? 'This request is closed. The helpdesk will contact you.'
      : refusal.message;
  return cardFor(slot, request, message);
}

/**
 * Whether `viewer` may see this card of the request. Someone clicking a card that is not theirs
 * (a copied request id, a forwarded card) learns only that nothing changed, not the request.
 */
export function mayView(slot: CardSlot, request: TapRequest, viewer: Actor): boolean {
  switch (slot) {
    case 'channel':
    case 'security':
      return viewer.isHelpdesk || viewer.isSecurity === true;
    case 'agent':
      return viewer.id === request.approver?.id || viewer.isHelpdesk;
    case 'manager':
      return viewer.id === request.manager?.id;
    case 'requester':
      return viewer.id === request.requester.id || viewer.isHelpdesk;
  }
}

/** A refused click's outcome: the refusal and the card the clicker gets instead. */
export function refused(
  click: Click,
  request: TapRequest | undefined,
  refusal: FlowRefusal,
  viewer: Actor,
): ClickOutcome {
  return { ok: false, card: refusalCard(click.slot, request, refusal, viewer), refusal };
}

/**
 * Applies `events` for the clicker and refreshes every card after the answer. `actor` is the
 * clicker with roles already read from the directory, when the caller needed them first.
 */
export async function actOnRequest(
  services: Services,
  click: Click,
  events: RequestEvent[],
  actor?: Actor,
): Promise<ClickOutcome> {
  const clicker = actor ?? (await resolveActor(services, click.from));
  const applied = await applyEvents(services, click.requestId, events, clicker);
  if (!applied.ok) return refused(click, applied.request, applied.refusal, clicker);
  const { request } = applied;
  services.background.run('refresh cards', () => refreshCards(services, request));
  return { ok: true, card: cardFor(click.slot, request), request, actor: clicker };
}
