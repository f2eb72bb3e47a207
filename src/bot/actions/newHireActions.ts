import { z } from 'zod';
import { requestNewHirePass as ask } from '../../flows/newHire.js';
import type { CardAction } from '../types.js';
import { VERBS } from '../verbs.js';
import { answer, clickedCard, malformed } from './requestAction.js';

const newHireSchema = z.object({
  newHireId: z.string().min(1).max(100),
  startDate: z.string().max(100).default(''),
});

/** *Ask for the pass* on the new-starter card: the card becomes the manager's status card. */
export const requestNewHirePass: CardAction = {
  verb: VERBS.requestNewHirePass,
  async handle(request) {
    const parsed = newHireSchema.safeParse(request.data);
    if (!parsed.success) return malformed(request, VERBS.requestNewHirePass);
    const { services, from, turn } = request;
    return answer(services, VERBS.requestNewHirePass, () =>
      ask(services, { manager: from, card: clickedCard(turn), ...parsed.data }),
    );
  },
};
