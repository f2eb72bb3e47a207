/**
 * The shared front of clicks on a checklist card and of the cards that start one: parse the
 * untrusted card data, run the flow, and turn failures outside TapDesk (Graph, the store) into
 * a card a person can act on.
 */
import type { AdaptiveCardInvokeResponse, Attachment, TurnContext } from 'botbuilder';
import { z } from 'zod';
import { renderCard } from '../../cards.js';
import type { CardRef } from '../../domain/request.js';
import { audit } from '../../flows/audit.js';
import type { ChecklistClick } from '../../flows/plannedChange.js';
import type { Services } from '../../services.js';
import { cardResponse } from '../invokeResponses.js';
import type { ActionRequest, CardAction } from '../types.js';
import type { Verb } from '../verbs.js';
import { outsideFailure } from './requestAction.js';

/** The card that was clicked, which the answer replaces. */
export const clickedCard = (turn: TurnContext): CardRef => ({
  conversationId: turn.activity.conversation.id,
  activityId: turn.activity.replyToId ?? turn.activity.id ?? '',
});

/** Refuses card data that does not parse: audited, and nothing is changed. */
export async function malformed(
  request: ActionRequest,
  verb: Verb,
): Promise<AdaptiveCardInvokeResponse> {
  await audit(request.services, {
    request: null,
    actor: request.from,
    action: verb,
    outcome: 'refused',
    reason: 'malformed card data',
  });
  return cardResponse(
    renderCard('notice', {
      title: 'Nothing was changed',
      text: 'TapDesk cannot act on this card: its data is incomplete or was altered. Use the latest card TapDesk sent you, or type help.',
      tone: 'warning',
    }),
  );
}

/** Runs `work` and answers with its card, or with a notice when Graph or the store failed. */
export async function answer(
  services: Services,
  verb: Verb,
  work: () => Promise<Attachment>,
): Promise<AdaptiveCardInvokeResponse> {
  try {
    return cardResponse(await work());
  } catch (error) {
    const text = outsideFailure(error);
    if (text === undefined) throw error;
    services.logger.warn({ verb, reason: text }, 'card action could not run');
    return cardResponse(
      renderCard('notice', { title: 'Nothing was changed', text, tone: 'warning' }),
    );
  }
}

const checklistIdSchema = z.object({ checklistId: z.uuid() });

export interface ChecklistActionSpec<S extends z.ZodObject | undefined> {
  verb: Verb;
  /** Extra card fields the verb reads (besides `checklistId`). */
  schema?: S;
  run(
    services: Services,
    click: ChecklistClick,
    data: S extends z.ZodType ? z.infer<S> : object,
  ): Promise<Attachment>;
}

/** A button on a checklist card: its data carries the checklist id and what the verb adds. */
export function checklistAction<S extends z.ZodObject | undefined = undefined>(
  spec: ChecklistActionSpec<S>,
): CardAction {
  return {
    verb: spec.verb,
    async handle(request) {
      const { data, from, services, turn } = request;
      const parsed = checklistIdSchema.safeParse(data);
      const extra = spec.schema
        ? spec.schema.safeParse(data)
        : { success: true as const, data: {} };
      if (!parsed.success || !extra.success) return malformed(request, spec.verb);
      const click = { checklistId: parsed.data.checklistId, from, card: clickedCard(turn) };
      return answer(services, spec.verb, () =>
        spec.run(services, click, extra.data as S extends z.ZodType ? z.infer<S> : object),
      );
    },
  };
}
