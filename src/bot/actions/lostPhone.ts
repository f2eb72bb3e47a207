import { offerLostPhone } from '../../flows/offerLostPhone.js';
import { cardResponse } from '../invokeResponses.js';
import type { CardAction } from '../types.js';
import { VERBS } from '../verbs.js';

/** The welcome card's "I lost my phone" button: the same offer as typing it. */
export const lostPhone: CardAction = {
  verb: VERBS.lostPhone,
  async handle({ services, from }) {
    return cardResponse(await offerLostPhone(services, from));
  },
};
