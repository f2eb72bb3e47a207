/**
 * The day before a planned phone change, the person gets their checklist again with a reminder
 * on top (SPEC §2.2.4). Safe on several instances at once: each reminder is claimed once.
 *
 * @remarks The store cannot list checklists by planned date, so the owners come from the audit
 * log, where every planned-change start is recorded; dates are at most
 * {@link MAX_PLAN_AHEAD_DAYS} ahead, which bounds how far back to look. That read is the
 * expensive part, so one instance per hour does it.
 */
import { errorSummary } from '../logger.js';
import type { Checklist } from '../ports.js';
import type { Services } from '../services.js';
import {
  changeChecklist,
  dayText,
  isoDay,
  MAX_PLAN_AHEAD_DAYS,
  PLANNED_CHANGE_STARTED,
  plannedChangeCard,
  readPlannedChange,
  type PlannedChange,
} from './plannedChange.js';
import { DAY_MS } from '../domain/time.js';

/** Sends the reminders due now: checklists whose planned date is tomorrow (UTC). */
export async function sendPlannedChangeReminders(services: Services): Promise<void> {
  const now = services.now();
  if (!(await services.store.claimOnce(`reminder-scan:${now.toISOString().slice(0, 13)}`))) return;
  const tomorrow = isoDay(new Date(now.getTime() + DAY_MS));
  const events = await services.store.auditBetween(
    new Date(now.getTime() - (MAX_PLAN_AHEAD_DAYS + 1) * DAY_MS).toISOString(),
    new Date(now.getTime() + 1).toISOString(),
  );
  const owners = new Set(
    events.filter((e) => e.action === PLANNED_CHANGE_STARTED).map((e) => e.actor.id),
  );
  for (const owner of owners) {
    for (const checklist of await services.store.listChecklistsByOwner(owner)) {
      const view = readPlannedChange(checklist);
      if (view?.plannedDate !== tomorrow || allDone(view)) continue;
      try {
        await remind(services, view);
      } catch (error) {
        services.logger.warn(
          { checklistId: checklist.id, error: errorSummary(error) },
          'could not send a phone-change reminder',
        );
      }
    }
  }
}

const allDone = (view: PlannedChange) =>
  view.runbook.steps.every((step) => view.checklist.done[step.id] === true);

/**
 * Posts the checklist afresh with the reminder on top, and makes it the card later ticks update.
 * The card is built before the claim, so a Graph failure leaves the reminder for the next scan.
 */
async function remind(services: Services, view: PlannedChange): Promise<void> {
  const day = view.plannedDate ?? '';
  const card = await plannedChangeCard(services, view, undefined, {
    text: `Reminder: you switch phones tomorrow, ${dayText(day)}. Go through the steps below while the old phone still works.`,
    style: 'good',
  });
  if (!(await services.store.claimOnce(`reminder:${view.checklist.id}`))) return;
  const posted = await services.messenger.sendToUser(view.checklist.ownerId, {
    attachments: [card],
  });
  await changeChecklist(services, view.checklist.id, (c: Checklist) => ({ ...c, card: posted }));
  services.logger.info({ checklistId: view.checklist.id }, 'sent a phone-change reminder');
}
