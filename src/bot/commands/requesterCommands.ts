import type { TurnContext } from 'botbuilder';
import type { Person } from '../../domain/request.js';
import { resolveActor } from '../../flows/actors.js';
import { applyEvents, patchRequest } from '../../flows/applyEvent.js';
import { openRequestOf } from '../../flows/openRequestOf.js';
import { cardFor, refreshCards } from '../../flows/requestCards.js';
import type { Services } from '../../services.js';
import type { Command } from '../types.js';

const NO_REQUEST = 'You have no open request. Type "lost my phone" if you need a one-time pass.';

function sender(turn: TurnContext): Person | undefined {
  const { aadObjectId, name } = turn.activity.from;
  return aadObjectId ? { id: aadObjectId, name: name ?? 'Unknown user' } : undefined;
}

/** `status`: the requester's open request as a fresh status card, which is kept current from now on. */
export const statusCommand: Command = {
  name: 'status',
  description: 'See where your request is',
  scopes: ['personal'],
  matches: (text) => /^(status|where is my request|my request)\b/.test(text),
  async handle(turn, services: Services) {
    const person = sender(turn);
    const request = person && (await openRequestOf(services, person.id));
    if (!request) {
      await turn.sendActivity(NO_REQUEST);
      return;
    }
    const sent = await turn.sendActivity({ attachments: [cardFor('requester', request)] });
    if (sent?.id) {
      const card = { conversationId: turn.activity.conversation.id, activityId: sent.id };
      await patchRequest(services, request.id, (r) => ({ cards: { ...r.cards, requester: card } }));
    }
  },
};

/** `cancel`: withdraws the requester's open request, while no pass exists yet. */
export const cancelCommand: Command = {
  name: 'cancel',
  description: 'Withdraw your open request',
  scopes: ['personal'],
  matches: (text) => /^(cancel|withdraw)\b/.test(text),
  async handle(turn, services: Services) {
    const person = sender(turn);
    const request = person && (await openRequestOf(services, person.id));
    if (!person || !request) {
      await turn.sendActivity(NO_REQUEST);
      return;
    }
    const actor = await resolveActor(services, person);
    const applied = await applyEvents(services, request.id, [{ type: 'cancel' }], actor);
    if (!applied.ok) {
      await turn.sendActivity(applied.refusal.message);
      return;
    }
    await refreshCards(services, applied.request);
    await turn.sendActivity('Your request is cancelled. Nothing more will happen with it.');
  },
};
