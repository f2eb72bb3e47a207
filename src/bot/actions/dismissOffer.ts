import { renderCard } from '../../cards.js';
import { cardResponse } from '../invokeResponses.js';
import type { CardAction } from '../types.js';
import { VERBS } from '../verbs.js';

/** Cancel on the offer: nothing was stored, so nothing needs undoing. */
export const dismissOffer: CardAction = {
  verb: VERBS.dismissOffer,
  async handle() {
    return cardResponse(
      renderCard('notice', {
        title: 'Nothing was sent',
        text: 'OK, no request was made. Type "lost my phone" whenever you need me.',
      }),
    );
  },
};
