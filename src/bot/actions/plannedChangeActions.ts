import { z } from 'zod';
import { requestBackupPass as askForBackupPass } from '../../flows/backupPass.js';
import {
  askPlannedChange,
  removeDevice as remove,
  startPlannedChange as start,
  tickStep as tick,
} from '../../flows/plannedChange.js';
import { cardResponse } from '../invokeResponses.js';
import type { CardAction } from '../types.js';
import { VERBS } from '../verbs.js';
import { cardFlag } from './cardInputs.js';
import { checklistAction } from './checklistAction.js';
import { answer, clickedCard, malformed } from './requestAction.js';

/** The welcome card's "I'm getting a new phone" button: the same card as typing it. */
export const newPhone: CardAction = {
  verb: VERBS.newPhone,
  async handle({ services }) {
    return cardResponse(askPlannedChange(services));
  },
};

/** Inputs arrive as strings; an empty date input may be left out altogether. */
const startSchema = z.object({
  scenario: z.string().max(100).default(''),
  plannedDate: z.string().max(100).default(''),
});

/** *Make my checklist*: the ask card becomes the checklist card. */
export const startPlannedChange: CardAction = {
  verb: VERBS.startPlannedChange,
  async handle(request) {
    const parsed = startSchema.safeParse(request.data);
    if (!parsed.success) return malformed(request, VERBS.startPlannedChange);
    const { services, from, turn } = request;
    return answer(services, VERBS.startPlannedChange, () =>
      start(services, { from, card: clickedCard(turn), ...parsed.data }),
    );
  },
};

export const tickStep = checklistAction({
  verb: VERBS.tickStep,
  schema: z.object({ step: z.string().min(1).max(64), done: cardFlag }),
  run: (services, click, { step, done }) => tick(services, click, step, done),
});

export const removeDevice = checklistAction({
  verb: VERBS.removeDevice,
  schema: z.object({ methodId: z.string().min(1).max(200) }),
  run: (services, click, { methodId }) => remove(services, click, methodId),
});

export const requestBackupPass = checklistAction({
  verb: VERBS.requestBackupPass,
  run: askForBackupPass,
});
