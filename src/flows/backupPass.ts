/**
 * *Request a backup pass* on a planned-change checklist: a `backup_pass` request that goes
 * through the same verification and approval as a lost phone, future-dated to the change day.
 */
import type { Attachment } from 'botbuilder';
import { renderCard } from '../cards.js';
import { DEVICE_SCENARIO_TITLES } from '../domain/runbooks.js';
import { errorSummary } from '../logger.js';
import type { Services } from '../services.js';
import { audit } from './audit.js';
import { openRequestOf } from './openRequestOf.js';
import {
  backupPassState,
  changeChecklist,
  dayText,
  ownChecklist,
  passStartFor,
  plannedChangeCard,
  readPlannedChange,
  type ChecklistClick,
} from './plannedChange.js';
import { submitRequest } from './submitRequest.js';

/**
 * Marks the checklist as asking (a compare-and-swap, so of two clicks one asks), posts a status
 * card in the person's chat and submits the request with that card as its requester card. The
 * checklist card answers, with the state of the request.
 */
export async function requestBackupPass(
  services: Services,
  click: ChecklistClick,
): Promise<Attachment> {
  const owned = await ownChecklist(services, click, 'request_backup_pass');
  if (!owned.ok) return owned.card;
  const first = owned.view;
  const refuse = async (text: string, view = first) => {
    await audit(services, {
      request: null,
      actor: click.from,
      action: 'request_backup_pass',
      outcome: 'refused',
      reason: text,
    });
    return plannedChangeCard(services, view, undefined, { text, style: 'warning' });
  };
  if (!first.runbook.needsBackupPass) {
    return refuse(
      'You have another way to sign in, so this change needs no backup pass. If it has stopped working, say "lost phone".',
    );
  }

  const state = await backupPassState(services, first);
  const now = services.now();
  let mine = false;
  const marked = state.canRequest
    ? await changeChecklist(services, click.checklistId, (c) => {
        // Only if nobody asked since this click read the checklist.
        mine = (c.meta['backupRequest'] ?? null) === first.backupRequest;
        return mine
          ? { ...c, meta: { ...c.meta, backupRequest: `pending:${now.toISOString()}` } }
          : undefined;
      })
    : first.checklist;
  const view = marked && readPlannedChange(marked);
  if (!view) throw new Error(`Checklist ${click.checklistId} vanished while asking for a pass`);
  if (!mine) return refuse('A backup pass is already requested for this checklist.', view);

  const status = await services.messenger.sendToUser(click.from.id, {
    attachments: [
      renderCard('notice', {
        title: 'Backup pass',
        text: 'Asking the helpdesk for your backup pass…',
      }),
    ],
  });
  const startsAt = passStartFor(view.plannedDate, now);
  const date = view.plannedDate ? `, switching on ${dayText(view.plannedDate)}` : '';
  const answer = await submitRequest(services, {
    requester: click.from,
    kind: 'backup_pass',
    reason: `Backup pass for a planned phone change (${DEVICE_SCENARIO_TITLES[view.scenario]}${date})`,
    card: status,
    startsAt,
  });
  try {
    await services.messenger.update(status, { attachments: [answer] });
  } catch (error) {
    services.logger.warn({ error: errorSummary(error) }, 'could not update the backup pass card');
  }

  const open = await openRequestOf(services, click.from.id);
  const created =
    open?.kind === 'backup_pass' && Date.parse(open.createdAt) >= now.getTime() ? open : undefined;
  const stored = await changeChecklist(services, click.checklistId, (c) => ({
    ...c,
    meta: { ...c.meta, backupRequest: created?.id ?? null },
  }));
  const latest = (stored && readPlannedChange(stored)) ?? view;
  return plannedChangeCard(services, latest, undefined, {
    text: created
      ? 'Backup pass requested. The helpdesk verifies you like for a lost phone; follow it on the status card below.'
      : 'TapDesk could not ask for a backup pass; the card below says why.',
    style: created ? 'good' : 'warning',
  });
}
