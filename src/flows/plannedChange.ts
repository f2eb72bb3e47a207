/**
 * Planned phone change (SPEC §2.2): the person still has the old phone. TapDesk reads their
 * registered methods, keeps a runbook checklist they tick through (stored, so a restart loses
 * nothing), lists their Authenticator devices on the last step and removes the old one once a
 * new one is registered.
 */
import { randomUUID } from 'node:crypto';
import type { Attachment } from 'botbuilder';
import { z } from 'zod';
import { renderCard, type DeviceRow, type PlannedChangeCardData } from '../cards.js';
import { isOpen, type CardRef, type Person } from '../domain/request.js';
import {
  DEVICE_SCENARIOS,
  DEVICE_SCENARIO_TITLES,
  plannedChangeRunbook,
  REMOVE_OLD_STEP,
  type DeviceScenario,
  type PlannedChangeFacts,
  type PlannedChangeRunbook,
} from '../domain/runbooks.js';
import { describeState } from '../domain/stateMachine.js';
import { methodName } from '../domain/wording.js';
import { ConflictError, type AuthMethod, type Checklist } from '../ports.js';
import type { Services } from '../services.js';
import { audit } from './audit.js';
import { MFA_TYPES, newAuthenticators, removal } from '../domain/devices.js';
import { SECURITY_INFO_URL } from './requestCards.js';
import { DAY_MS } from '../domain/time.js';

/** The `runbook` of a planned-change checklist. */
export const PLANNED_CHANGE_RUNBOOK = 'planned_change';

/** The audit action that starts a checklist; reminders find their owners by it. */
export const PLANNED_CHANGE_STARTED = 'planned_change_started';

/** How far ahead a change may be planned (and how far back reminders look for checklists). */
export const MAX_PLAN_AHEAD_DAYS = 90;

/** A backup-pass request in flight for this long is taken as abandoned (the process stopped). */
const PENDING_BACKUP_MS = 2 * 60_000;

/** Compare-and-swap attempts before giving up; each lost race means another click landed. */
const MAX_ATTEMPTS = 5;

/** A click on a checklist card: who clicked, on which checklist, and the card they clicked. */
export interface ChecklistClick {
  checklistId: string;
  from: Person;
  card: CardRef;
}

const namesSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.array(z.string()));

/** What a planned-change checklist keeps in `meta`; read back through this schema. */
const metaSchema = z.object({
  scenario: z.enum(DEVICE_SCENARIOS),
  plannedDate: z.iso.date().nullish(),
  startedAt: z.iso.datetime(),
  hasBackup: z.enum(['yes', 'no']),
  backupMethods: namesSchema,
  enrolmentBackups: namesSchema,
  /** `pending:<iso time>` while being requested, then the request id. */
  backupRequest: z.string().nullish(),
});

/** A planned-change checklist with its meta parsed and its runbook rebuilt from it. */
export interface PlannedChange {
  checklist: Checklist;
  scenario: DeviceScenario;
  plannedDate: string | null;
  startedAt: string;
  backupRequest: string | null;
  runbook: PlannedChangeRunbook;
}

/** Rebuilds the runbook from the facts stored at the start, so its steps never shift. */
export function readPlannedChange(checklist: Checklist): PlannedChange | undefined {
  if (checklist.runbook !== PLANNED_CHANGE_RUNBOOK) return undefined;
  const meta = metaSchema.safeParse(checklist.meta);
  if (!meta.success) return undefined;
  const facts: PlannedChangeFacts = {
    hasBackupMethod: meta.data.hasBackup === 'yes',
    backupMethods: meta.data.backupMethods,
    enrolmentBackups: meta.data.enrolmentBackups,
    securityInfoUrl: SECURITY_INFO_URL,
  };
  return {
    checklist,
    scenario: meta.data.scenario,
    plannedDate: meta.data.plannedDate ?? null,
    startedAt: meta.data.startedAt,
    backupRequest: meta.data.backupRequest ?? null,
    runbook: plannedChangeRunbook(meta.data.scenario, facts),
  };
}

/** The runbook facts a person's registered methods give. */
export function plannedChangeFacts(methods: readonly AuthMethod[]): PlannedChangeFacts {
  const authenticators = methods.filter((m) => m.type === 'microsoftAuthenticator');
  const backups = methods
    .filter((m) => MFA_TYPES.has(m.type) && m.type !== 'microsoftAuthenticator')
    .map((m) => methodName(m.type, m.label));
  // With two Authenticators one of them lives on another device and survives the switch.
  if (authenticators.length > 1) backups.push('your second Microsoft Authenticator');
  return {
    hasBackupMethod: backups.length > 0,
    backupMethods: backups,
    enrolmentBackups: methods
      .filter((m) => m.type === 'phone' || m.type === 'fido2')
      .map((m) => methodName(m.type, m.label)),
    securityInfoUrl: SECURITY_INFO_URL,
  };
}

// ---------------------------------------------------------------------------------------------
// Dates

/** `YYYY-MM-DD` of a time, in UTC. */
export const isoDay = (at: Date): string => at.toISOString().slice(0, 10);

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * A day in words, the same for every reader ("Saturday 7 June 2025"): a planned date is a day,
 * not a moment, so it is not shifted into the reader's time zone.
 */
export function dayText(day: string): string {
  const at = new Date(`${day}T12:00:00Z`);
  return `${WEEKDAYS[at.getUTCDay()]} ${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]} ${at.getUTCFullYear()}`;
}

/** A day the person picked: empty for none, else today or later, at most 90 days ahead. */
export function parsePlanDay(
  value: string,
  now: Date,
): { ok: true; day: string | null } | { ok: false; message: string } {
  const text = value.trim();
  if (text === '') return { ok: true, day: null };
  const parsed = z.iso.date().safeParse(text);
  if (!parsed.success || Number.isNaN(Date.parse(`${text}T00:00:00Z`))) {
    return {
      ok: false,
      message: 'That date is not one TapDesk can read; pick it in the calendar.',
    };
  }
  const today = isoDay(now);
  const last = isoDay(new Date(now.getTime() + MAX_PLAN_AHEAD_DAYS * DAY_MS));
  if (text < today) return { ok: false, message: 'That date has passed; pick today or later.' };
  if (text > last) {
    return {
      ok: false,
      message: `Pick a date within the next ${MAX_PLAN_AHEAD_DAYS} days, or leave it empty.`,
    };
  }
  return { ok: true, day: text };
}

/** When a pass for `day` starts: 08:00 UTC that day, or null (at once) when that has passed. */
export function passStartFor(day: string | null, now: Date): string | null {
  if (day === null) return null;
  const start = new Date(`${day}T08:00:00.000Z`);
  return start.getTime() > now.getTime() ? start.toISOString() : null;
}

// ---------------------------------------------------------------------------------------------
// Ask and start

/** "I'm getting a new phone": the card asking which device and when. */
export function askPlannedChange(services: Services, banner = ''): Attachment {
  const now = services.now();
  return renderCard('plannedChangeStart', {
    banner,
    scenarios: DEVICE_SCENARIOS.map((value) => ({ value, title: DEVICE_SCENARIO_TITLES[value] })),
    minDate: isoDay(now),
    maxDate: isoDay(new Date(now.getTime() + MAX_PLAN_AHEAD_DAYS * DAY_MS)),
  });
}

export interface StartInput {
  from: Person;
  /** The ask card that was submitted: it becomes the checklist card. */
  card: CardRef;
  scenario: string;
  plannedDate: string;
}

/**
 * Reads the person's methods, stores a checklist tailored to them and answers with its card.
 * A second submit of the same ask card answers with the checklist the first one made.
 */
export async function startPlannedChange(
  services: Services,
  input: StartInput,
): Promise<Attachment> {
  const scenario = z.enum(DEVICE_SCENARIOS).safeParse(input.scenario);
  if (!scenario.success)
    return askPlannedChange(services, 'Pick the kind of phone you are moving to.');
  const now = services.now();
  const day = parsePlanDay(input.plannedDate, now);
  if (!day.ok) return askPlannedChange(services, day.message);

  const user = await services.directory.getUser(input.from.id);
  if (user?.userType.toLowerCase() !== 'member') {
    return renderCard('notice', {
      title: 'TapDesk cannot help with this',
      text: user
        ? 'Guest accounts register their sign-in methods with their own organisation. Please ask the IT team of your home organisation.'
        : 'TapDesk cannot find your account in the company directory. Please call the helpdesk.',
      tone: 'warning',
    });
  }
  const claimed = await services.store.claimOnce(
    `checklist:${input.card.conversationId}:${input.card.activityId}`,
  );
  if (!claimed) {
    const mine = await services.store.listChecklistsByOwner(input.from.id);
    const earlier = mine.find(
      (c) =>
        c.card?.conversationId === input.card.conversationId &&
        c.card.activityId === input.card.activityId,
    );
    const view = earlier && readPlannedChange(earlier);
    if (view) return plannedChangeCard(services, view);
    return renderCard('notice', {
      title: 'Already started',
      text: 'This checklist is already being made. Type "new phone" if you need a fresh one.',
    });
  }

  const methods = await services.directory.listAuthMethods(input.from.id);
  const facts = plannedChangeFacts(methods);
  const checklist = await services.store.createChecklist({
    id: randomUUID(),
    ownerId: input.from.id,
    runbook: PLANNED_CHANGE_RUNBOOK,
    done: {},
    meta: {
      scenario: scenario.data,
      plannedDate: day.day,
      startedAt: now.toISOString(),
      hasBackup: facts.hasBackupMethod ? 'yes' : 'no',
      backupMethods: JSON.stringify(facts.backupMethods),
      enrolmentBackups: JSON.stringify(facts.enrolmentBackups),
      backupRequest: null,
    },
    card: input.card,
    updatedAt: now.toISOString(),
  });
  await audit(services, {
    request: null,
    actor: input.from,
    action: PLANNED_CHANGE_STARTED,
    outcome: 'ok',
    reason: `checklist ${checklist.id}: ${scenario.data}, ${day.day ? `planned for ${day.day}` : 'no date'}, ${facts.hasBackupMethod ? 'has a backup method' : 'no backup method'}`,
  });
  const view = readPlannedChange(checklist);
  if (!view) throw new Error(`Checklist ${checklist.id} was stored unreadable`);
  const card = await plannedChangeCard(services, view, methods);
  updatePostedCard(services, input.card, card);
  return card;
}

// ---------------------------------------------------------------------------------------------
// The checklist card

/** A line on top of the card: a confirmation or the reason nothing changed. */
export interface Banner {
  text: string;
  style: 'good' | 'warning';
}

/**
 * The checklist card as it is now. Reads the owner's methods from Graph for the device list
 * unless the caller just read them.
 */
export async function plannedChangeCard(
  services: Services,
  view: PlannedChange,
  methods?: readonly AuthMethod[],
  banner?: Banner,
): Promise<Attachment> {
  const current = methods ?? (await services.directory.listAuthMethods(view.checklist.ownerId));
  const backup = await backupPassState(services, view);
  return renderCard('plannedChange', plannedChangeCardData(view, current, backup, banner));
}

/** Where the backup pass stands, for the card. */
export interface BackupPassState {
  text: string;
  canRequest: boolean;
}

export async function backupPassState(
  services: Services,
  view: PlannedChange,
): Promise<BackupPassState> {
  const recorded = view.backupRequest;
  if (recorded?.startsWith('pending:')) {
    const since = Date.parse(recorded.slice('pending:'.length));
    if (services.now().getTime() - since < PENDING_BACKUP_MS) {
      return { text: 'Asking the helpdesk for your backup pass…', canRequest: false };
    }
  } else if (recorded) {
    const request = await services.store.getRequest(recorded);
    if (request && isOpen(request.state)) {
      return {
        text: `Backup pass requested: ${describeState(request.state).toLowerCase()}. Its status card is in this chat.`,
        canRequest: false,
      };
    }
    if (request?.state === 'completed') {
      return { text: 'Your backup pass request is complete.', canRequest: false };
    }
    if (request && view.runbook.needsBackupPass) {
      return {
        text: `Your backup pass request ended (${describeState(request.state).toLowerCase()}). You can ask again.`,
        canRequest: true,
      };
    }
  }
  if (!view.runbook.needsBackupPass) return { text: '', canRequest: false };
  return {
    text: view.plannedDate
      ? `No backup method: ask for a backup pass that starts on ${dayText(view.plannedDate)} at 08:00 UTC.`
      : 'No backup method: ask for a backup pass before you switch.',
    canRequest: true,
  };
}

function plannedChangeCardData(
  view: PlannedChange,
  methods: readonly AuthMethod[],
  backup: BackupPassState,
  banner: Banner | undefined,
): PlannedChangeCardData {
  const { checklist, runbook } = view;
  const done = runbook.steps.filter((step) => checklist.done[step.id] === true).length;
  const total = runbook.steps.length;
  const devices = deviceRows(view, methods);
  return {
    checklistId: checklist.id,
    banner: banner?.text ?? '',
    bannerStyle: banner?.style ?? 'warning',
    title: 'Your new-phone checklist',
    subtitle: `${DEVICE_SCENARIO_TITLES[view.scenario]} · ${view.plannedDate ? `switching on ${dayText(view.plannedDate)}` : 'no date set'}`,
    progress: done === total ? `All ${total} steps done.` : `${done} of ${total} steps done`,
    notes: runbook.notes.map((text) => ({ text })),
    steps: runbook.steps.map((step) => {
      const ticked = checklist.done[step.id] === true;
      return {
        id: step.id,
        mark: ticked ? '☑' : '☐',
        text: step.text,
        why: step.why,
        toggleTitle: ticked ? 'Undo' : 'Done',
        next: !ticked,
      };
    }),
    devices: devices.rows,
    devicesNote: devices.note,
    backupPassText: backup.text,
    canRequestBackupPass: backup.canRequest,
  };
}

function deviceRows(
  view: PlannedChange,
  methods: readonly AuthMethod[],
): { rows: DeviceRow[]; note: string } {
  const authenticators = methods.filter((m) => m.type === 'microsoftAuthenticator');
  const fresh = new Set(newAuthenticators({ createdAt: view.startedAt }, methods).map((m) => m.id));
  const rows = authenticators.map((m) => ({
    id: m.id,
    text: [
      m.label ?? 'Microsoft Authenticator',
      m.createdAt ? `added ${dayText(isoDay(new Date(m.createdAt)))}` : 'added on an unknown date',
      ...(fresh.has(m.id) ? ['new'] : []),
    ].join(' · '),
    canRemove: fresh.size > 0 && !fresh.has(m.id),
  }));
  let note: string;
  if (authenticators.length === 0)
    note = 'No Microsoft Authenticator is registered on your account.';
  else if (fresh.size === 0) {
    note =
      'Once Microsoft Authenticator is registered on the new phone, you can remove the old one here.';
  } else if (fresh.size === authenticators.length) {
    note = 'Only the new phone is registered: nothing left to remove.';
  } else {
    note = 'The new phone is registered. Remove the old one so it can no longer approve sign-ins.';
  }
  return { rows, note };
}

// ---------------------------------------------------------------------------------------------
// Clicks on the checklist

export type Owned = { ok: true; view: PlannedChange } | { ok: false; card: Attachment };

/**
 * The clicked checklist, when it exists and belongs to the clicker. Anything else is refused,
 * audited, and answered with a notice that shows nothing of the checklist.
 */
export async function ownChecklist(
  services: Services,
  click: ChecklistClick,
  action: string,
): Promise<Owned> {
  const checklist = await services.store.getChecklist(click.checklistId);
  const view = checklist && readPlannedChange(checklist);
  let reason: string | undefined;
  if (!view) reason = `unknown checklist id ${click.checklistId.slice(0, 64)}`;
  else if (view.checklist.ownerId !== click.from.id)
    reason = `checklist ${view.checklist.id} belongs to someone else`;
  if (view && reason === undefined) return { ok: true, view };
  await audit(services, { request: null, actor: click.from, action, outcome: 'refused', reason });
  return {
    ok: false,
    card: renderCard('notice', {
      title: 'Nothing was changed',
      text: view
        ? 'This checklist belongs to someone else; only they can tick it.'
        : 'TapDesk has no checklist with this id. Type "new phone" to start one.',
      tone: 'warning',
    }),
  };
}

/**
 * Compare-and-swap on a checklist: `change` gets the latest version and returns the next one,
 * or undefined to leave it as it is. A lost race re-reads and decides again.
 */
export async function changeChecklist(
  services: Services,
  id: string,
  change: (checklist: Checklist) => Checklist | undefined,
): Promise<Checklist | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = await services.store.getChecklist(id);
    if (!current) return undefined;
    const next = change(current);
    if (next === undefined) return current;
    try {
      return await services.store.updateChecklist({
        ...next,
        updatedAt: services.now().toISOString(),
      });
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

/** Replaces the posted checklist card too, so every device of the person shows the same. */
function updatePostedCard(services: Services, ref: CardRef, card: Attachment): void {
  services.background.run('update checklist card', () =>
    services.messenger.update(ref, { attachments: [card] }),
  );
}

/** *Done* / *Undo* on a step: stored with a compare-and-swap, answered with the updated card. */
export async function tickStep(
  services: Services,
  click: ChecklistClick,
  step: string,
  done: boolean,
): Promise<Attachment> {
  const owned = await ownChecklist(services, click, 'tick_step');
  if (!owned.ok) return owned.card;
  const known = owned.view.runbook.steps.some((s) => s.id === step);
  if (!known) {
    await audit(services, {
      request: null,
      actor: click.from,
      action: 'tick_step',
      outcome: 'refused',
      reason: `unknown step ${step.slice(0, 64)} on checklist ${click.checklistId}`,
    });
    return plannedChangeCard(services, owned.view, undefined, {
      text: 'That step is not on this checklist, so nothing was changed.',
      style: 'warning',
    });
  }
  const stored = await changeChecklist(services, click.checklistId, (c) =>
    (c.done[step] === true) === done && sameRef(c.card, click.card)
      ? undefined
      : { ...c, done: { ...c.done, [step]: done }, card: click.card },
  );
  const view = stored && readPlannedChange(stored);
  if (!view) throw new Error(`Checklist ${click.checklistId} vanished while being ticked`);
  const card = await plannedChangeCard(services, view);
  updatePostedCard(services, click.card, card);
  return card;
}

const sameRef = (a: CardRef | null, b: CardRef) =>
  a?.conversationId === b.conversationId && a.activityId === b.activityId;

/**
 * *Remove* on an Authenticator device: only the owner, only an old device, only once a new
 * one is registered, and never the last method that can approve a sign-in.
 */
export async function removeDevice(
  services: Services,
  click: ChecklistClick,
  methodId: string,
): Promise<Attachment> {
  const owned = await ownChecklist(services, click, 'remove_device');
  if (!owned.ok) return owned.card;
  const { view } = owned;
  const owner = view.checklist.ownerId;
  const methods = await services.directory.listAuthMethods(owner);
  const refuse = async (text: string) => {
    await audit(services, {
      request: null,
      actor: click.from,
      action: 'remove_device',
      outcome: 'refused',
      reason: text,
    });
    return plannedChangeCard(services, view, methods, { text, style: 'warning' });
  };
  const fresh = newAuthenticators({ createdAt: view.startedAt }, methods);
  const verdict = removal({ createdAt: view.startedAt }, methods, methodId);
  if (!verdict.ok) return refuse(verdict.message);
  const label = verdict.label;
  await services.directory.deleteAuthenticatorMethod(owner, methodId);
  await audit(services, {
    request: null,
    actor: click.from,
    action: 'old_device_removed',
    outcome: 'ok',
    reason: `${label}, checklist ${view.checklist.id}`,
  });
  const after = methods.filter((m) => m.id !== methodId);
  const oldLeft = after.some(
    (m) => m.type === 'microsoftAuthenticator' && !fresh.some((f) => f.id === m.id),
  );
  const stored = await changeChecklist(services, view.checklist.id, (c) =>
    oldLeft || c.done[REMOVE_OLD_STEP] === true
      ? undefined
      : { ...c, done: { ...c.done, [REMOVE_OLD_STEP]: true } },
  );
  const latest = (stored && readPlannedChange(stored)) ?? view;
  const card = await plannedChangeCard(services, latest, after, {
    text: `Removed ${label} from your account. It can no longer approve sign-ins; you can reset that phone now.`,
    style: 'good',
  });
  updatePostedCard(services, click.card, card);
  return card;
}
