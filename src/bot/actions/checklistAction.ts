/**
 * The front of clicks on a checklist card: like a request card's (see requestAction.ts), with a
 * checklist id instead of a request id.
 */
import type { Attachment } from 'botbuilder';
import { z } from 'zod';
import type { ChecklistClick } from '../../flows/plannedChange.js';
import type { Services } from '../../services.js';
import type { CardAction } from '../types.js';
import type { Verb } from '../verbs.js';
import { answer, clickedCard, malformed } from './requestAction.js';

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
