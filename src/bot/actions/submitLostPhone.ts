import { submitRequest } from '../../flows/submitRequest.js';
import { cardResponse } from '../invokeResponses.js';
import type { CardAction } from '../types.js';
import { VERBS } from '../verbs.js';
import { clickedCard } from './requestAction.js';

/** Submit on the lost-phone offer: the offer card becomes the requester's status card. */
export const submitLostPhone: CardAction = {
  verb: VERBS.submitLostPhone,
  async handle({ services, from, turn }) {
    const card = await submitRequest(services, {
      requester: from,
      kind: 'lost_phone',
      reason: 'Lost or broken phone',
      card: clickedCard(turn),
    });
    return cardResponse(card);
  },
};
