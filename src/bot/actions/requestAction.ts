/**
 * The shared front of every click on a request card: parse the untrusted card data, run the
 * flow, and turn what can go wrong outside TapDesk (Graph, the store) into a card a person can
 * act on. Each verb's file only names its flow.
 */
import type { AdaptiveCardInvokeResponse } from 'botbuilder';
import { z } from 'zod';
import { renderCard } from '../../cards.js';
import type { CardSlot } from '../../domain/request.js';
import { audit } from '../../flows/audit.js';
import type { Click, ClickOutcome } from '../../flows/actOnRequest.js';
import { DirectoryError, StoreUnavailableError } from '../../ports.js';
import type { Services } from '../../services.js';
import { cardResponse } from '../invokeResponses.js';
import type { CardAction } from '../types.js';
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
    async handle({ from, data, services }): Promise<AdaptiveCardInvokeResponse> {
      const parsed = requestIdSchema.safeParse(data);
      const extra = spec.schema
        ? spec.schema.safeParse(data)
        : { success: true as const, data: {} };
      if (!parsed.success || !extra.success) {
        await audit(services, {
          request: null,
          actor: from,
          action: spec.verb,
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
      const click: Click = { requestId: parsed.data.requestId, from, slot: spec.slot };
      try {
        const outcome = await spec.run(services, click, extra.data as Parsed<S>);
        return cardResponse(outcome.card);
      } catch (error) {
        const text = outsideFailure(error);
        if (text === undefined) throw error;
        services.logger.warn(
          { verb: spec.verb, requestId: click.requestId, reason: text },
          'card action could not run',
        );
        return cardResponse(
          renderCard('notice', { title: 'Nothing was changed', text, tone: 'warning' }),
        );
      }
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
