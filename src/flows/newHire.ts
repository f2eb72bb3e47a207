/**
 * New employee, first device (SPEC §2.3): a manager asks for a pass for a direct report who has
 * no MFA yet. The directory decides who reports to whom, at the click; the manager's request is
 * their attestation, and the pass is handed over in person.
 */
import type { Attachment } from 'botbuilder';
import { renderCard } from '../cards.js';
import type { CardRef, Person } from '../domain/request.js';
import type { Services } from '../services.js';
import { audit } from './audit.js';
import { isoDay, MAX_PLAN_AHEAD_DAYS, parsePlanDay, passStartFor } from './plannedChange.js';
import { submitRequest } from './submitRequest.js';
import { DAY_MS } from '../domain/time.js';

/** "New starter": the manager's direct reports to pick from, or why there are none. */
export async function offerNewHire(
  services: Services,
  manager: Person,
  banner = '',
): Promise<Attachment> {
  const reports = await services.directory.getDirectReports(manager.id);
  if (reports.length === 0) {
    return renderCard('notice', {
      title: 'Nobody reports to you in the directory',
      text: 'TapDesk can only ask for a first-device pass for someone whose manager you are in the company directory. If a new starter should report to you, ask HR or IT to set that first.',
      tone: 'warning',
    });
  }
  const now = services.now();
  return renderCard('newHireStart', {
    banner,
    reports: reports
      .map((user) => ({ title: `${user.displayName} (${user.userPrincipalName})`, value: user.id }))
      .sort((a, b) => a.title.localeCompare(b.title)),
    minDate: isoDay(now),
    maxDate: isoDay(new Date(now.getTime() + MAX_PLAN_AHEAD_DAYS * DAY_MS)),
  });
}

export interface NewHireInput {
  /** The clicker: who asks, and who must be the new starter's manager in the directory. */
  manager: Person;
  newHireId: string;
  startDate: string;
  /** The card the manager submitted: it becomes their status card for the request. */
  card: CardRef;
}

/**
 * Submits a `new_hire` request for a direct report, with the manager's ask as the attestation.
 * Anyone the directory does not show as the clicker's direct report right now is refused and
 * the attempt audited.
 */
export async function requestNewHirePass(
  services: Services,
  input: NewHireInput,
): Promise<Attachment> {
  const now = services.now();
  const day = parsePlanDay(input.startDate, now);
  if (!day.ok) return offerNewHire(services, input.manager, day.message);
  const reports = await services.directory.getDirectReports(input.manager.id);
  const newHire = reports.find((user) => user.id === input.newHireId);
  if (!newHire) {
    await audit(services, {
      request: null,
      actor: input.manager,
      action: 'new_hire_refused',
      outcome: 'refused',
      reason: `${input.newHireId.slice(0, 64)} is not a direct report of ${input.manager.name} in the directory`,
    });
    return renderCard('notice', {
      title: 'TapDesk cannot ask for this pass',
      text: 'You can only ask for a first-device pass for someone who reports to you in the company directory, and the person you picked does not. If they should, ask HR or IT to update their manager, then try again.',
      tone: 'warning',
    });
  }
  return submitRequest(services, {
    requester: { id: newHire.id, name: newHire.displayName },
    kind: 'new_hire',
    reason: `First device for a new starter, asked for by ${input.manager.name}${day.day ? `, starting ${day.day}` : ''}`,
    card: input.card,
    startsAt: passStartFor(day.day, now),
    askedBy: input.manager,
  });
}
