/**
 * The shared front of every click on a request card (and the helpers checklist and start cards
 * use too): parse the untrusted card data, run the flow, and turn what can go wrong outside
 * TapDesk (Graph, the store) into a card a person can act on. Each verb's file only names its
 * flow.
 */
import type { AdaptiveCardInvokeResponse, Attachment, TurnContext } from 'botbuilder';
import { z } from 'zod';
import { renderCard } from '../../cards.js';
import type { CardRef, CardSlot } from '../../domain/request.js';
import { audit } from '../../flows/audit.js';
import type { Click, ClickOutcome } from '../../flows/actOnRequest.js';
import { DirectoryError, StoreUnavailableError } from '../../ports.js';
import type { Services } from '../../services.js';
import { cardResponse } from '../invokeResponses.js';
import type { ActionRequest, CardAction } from '../types.js';
import type { Verb } from '../verbs.js';

const requestIdSchema = z.object({ requestId: z.uuid() });

/** A card's data, parsed: the request id plus whatever the verb's schema adds. */
type Parsed<S extends z.ZodType | undefined> = S extends z.ZodType ? z.infer<S> : object;

export interface RequestActionSpec<S extends z.ZodObject | undefined> {
  verb: Verb;
  /** Which card carries this button. */
  slot: CardSlot;
  /** Extra card fields the verb reads (besides `requestId`). */
  schema?: S;
  run(services: Services, click: Click, data: Parsed<S>): Promise<ClickOutcome>;
}

export function requestAction<S extends z.ZodObject | undefined = undefined>(
  spec: RequestActionSpec<S>,
): CardAction {
  return {
    verb: spec.verb,
    async handle(action): Promise<AdaptiveCardInvokeResponse> {
      const { from, data, services } = action;
      const parsed = requestIdSchema.safeParse(data);
      const extra = spec.schema
        ? spec.schema.safeParse(data)
        : { success: true as const, data: {} };
      if (!parsed.success || !extra.success) return malformed(action, spec.verb);
      const click: Click = { requestId: parsed.data.requestId, from, slot: spec.slot };
      return answer(services, spec.verb, async () => {
        const outcome = await spec.run(services, click, extra.data as Parsed<S>);
        return outcome.card;
      });
    },
  };
}

/** A failure of something TapDesk depends on, in words; undefined for TapDesk's own bugs. */
export function outsideFailure(error: unknown): string | undefined {
  if (error instanceof StoreUnavailableError) {
    return 'TapDesk cannot reach its request store right now, so nothing was changed. Please try again in a minute.';
  }
  if (error instanceof DirectoryError) {
    return `TapDesk could not complete this because Microsoft Graph said no: ${error.message} Nothing was changed.`;
  }
  return undefined;
}

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
