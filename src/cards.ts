import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ACData from 'adaptivecards-templating';
import { CardFactory, type Attachment } from 'botbuilder';

/** The project root, found from this file whether it runs from `src/` or `dist/src/`. */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'cards'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('TapDesk cannot find its cards/ folder next to package.json');
}

export const CARDS_DIR = join(projectRoot(), 'cards');

/** The tone of a notice: the title colour a person reads first. */
export type Tone = 'default' | 'good' | 'attention' | 'warning';

export interface WelcomeCardData {
  firstName: string;
}

export interface HelpCardData {
  commands: { name: string; description: string }[];
  footer: string;
}

export interface NoticeCardData {
  title: string;
  text: string;
  tone?: Tone;
  /** A correlation id a person can quote to the helpdesk. */
  reference?: string;
}

/** A label and a value, as a FactSet row. */
export interface Fact {
  title: string;
  value: string;
}

/** One line of text in a list (steps, flags, gaps). */
export interface Line {
  text: string;
}

/**
 * Fields every request card has. `banner` is a refusal or warning shown to the clicker on top
 * of the card they clicked ('' for none).
 */
interface RequestCardBase {
  requestId: string;
  banner: string;
}

export interface LostPhoneOfferCardData {
  firstName: string;
  steps: Line[];
}

/** The requester's view of their request, kept current as it moves. */
export interface RequestStatusCardData extends RequestCardBase {
  title: string;
  stateLabel: string;
  stateColor: string;
  message: string;
  steps: Line[];
  oldDevices: { id: string; label: string }[];
  showDone: boolean;
  canCancel: boolean;
}

/** The directory manager's attestation card. */
export interface ManagerAttestCardData extends RequestCardBase {
  requesterName: string;
  facts: Fact[];
  canAnswer: boolean;
  /** What the manager answered, or what became of the request ('' while waiting). */
  answer: string;
}

/** One verification check on the channel card, with the button that flips it. */
export interface CheckRow {
  id: string;
  label: string;
  why: string;
  mark: string;
  toggleTitle: string;
  /** The value the button sets. */
  next: boolean;
}

/** The helpdesk channel's card for one request. */
export interface ChannelRequestCardData extends RequestCardBase {
  title: string;
  stateLabel: string;
  stateColor: string;
  facts: Fact[];
  flags: Line[];
  notes: Line[];
  checks: CheckRow[];
  gaps: Line[];
  lastError: string;
  outcome: string;
  canVerify: boolean;
  canReviewFlags: boolean;
  canAssign: boolean;
  canUnassign: boolean;
  canApprove: boolean;
  canRetry: boolean;
  canDeny: boolean;
}

/**
 * The approving agent's 1:1 card. `pass` is set only for the one send that carries it; every
 * later render (scrub, updates) has `showPass: false` and `pass: ''`.
 */
export interface AgentPassCardData extends RequestCardBase {
  requesterName: string;
  showPass: boolean;
  pass: string;
  hiddenText: string;
  facts: Fact[];
  /** Under the pass: how it may be handed over (a call, or in person for a new starter). */
  handoverNote: string;
  scriptTitle: string;
  script: Line[];
  canDeliver: boolean;
  canRevoke: boolean;
}

/** An escalation or alert for the security channel (else the helpdesk channel). */
export interface SecurityAlertCardData {
  title: string;
  text: string;
  facts: Fact[];
}

/** A read-only report (queue, history, stats): headed sections of text lines. */
export interface ReportCardData {
  title: string;
  text: string;
  sections: { heading: string; lines: Line[] }[];
}

/** A choice in an `Input.ChoiceSet`. */
export interface Choice {
  title: string;
  value: string;
}

/** "I'm getting a new phone": which device, and when. */
export interface PlannedChangeStartCardData {
  /** Why the last submit was not accepted ('' for none). */
  banner: string;
  scenarios: Choice[];
  /** The earliest date the date picker offers, `YYYY-MM-DD`. */
  minDate: string;
  maxDate: string;
}

/** One step of a runbook checklist, with the button that ticks or unticks it. */
export interface ChecklistStepRow {
  id: string;
  mark: string;
  text: string;
  why: string;
  toggleTitle: string;
  /** The value the button sets. */
  next: boolean;
}

/** A registered Microsoft Authenticator device on the checklist's last step. */
export interface DeviceRow {
  id: string;
  /** Name, when it was added, and whether it is the new phone. */
  text: string;
  canRemove: boolean;
}

/** The planned-phone-change checklist, kept current as the person ticks it. */
export interface PlannedChangeCardData {
  checklistId: string;
  banner: string;
  /** The banner's container style: `good` for a confirmation, `warning` for a refusal. */
  bannerStyle: 'good' | 'warning';
  title: string;
  subtitle: string;
  progress: string;
  notes: Line[];
  steps: ChecklistStepRow[];
  devices: DeviceRow[];
  devicesNote: string;
  /** Where the backup pass stands ('' when none is needed). */
  backupPassText: string;
  canRequestBackupPass: boolean;
}

/** A manager picks which direct report gets a first-device pass, and from when. */
export interface NewHireStartCardData {
  banner: string;
  reports: Choice[];
  minDate: string;
  maxDate: string;
}

/** Every card template in `cards/` and the data it is rendered with. */
export interface CardDataByName {
  welcome: WelcomeCardData;
  help: HelpCardData;
  notice: NoticeCardData;
  lostPhoneOffer: LostPhoneOfferCardData;
  requestStatus: RequestStatusCardData;
  managerAttest: ManagerAttestCardData;
  channelRequest: ChannelRequestCardData;
  agentPass: AgentPassCardData;
  securityAlert: SecurityAlertCardData;
  report: ReportCardData;
  plannedChangeStart: PlannedChangeStartCardData;
  plannedChange: PlannedChangeCardData;
  newHireStart: NewHireStartCardData;
}

export type CardName = keyof CardDataByName;

const templates = new Map<string, object>();
const compiledTemplates = new Map<string, ACData.Template>();

/** A template is parsed once; expanding it does not change it. */
function compiled(name: string): ACData.Template {
  let found = compiledTemplates.get(name);
  if (!found) {
    found = new ACData.Template(template(name));
    compiledTemplates.set(name, found);
  }
  return found;
}

function template(name: string): object {
  let parsed = templates.get(name);
  if (!parsed) {
    parsed = JSON.parse(readFileSync(join(CARDS_DIR, `${name}.json`), 'utf8')) as object;
    templates.set(name, parsed);
  }
  return parsed;
}

export const TONE_COLOR: Record<Tone, string> = {
  default: 'Default',
  good: 'Good',
  attention: 'Attention',
  warning: 'Warning',
};

/** Fills the template's data defaults so templates never see `undefined`. */
function withDefaults<N extends CardName>(name: N, data: CardDataByName[N]): object {
  if (name === 'notice') {
    const notice = data as NoticeCardData;
    return {
      ...notice,
      color: TONE_COLOR[notice.tone ?? 'default'],
      reference: notice.reference ?? '',
    };
  }
  return data;
}

/** Renders a card template with typed data into the card JSON. */
export function renderCardJson<N extends CardName>(
  name: N,
  data: CardDataByName[N],
): Record<string, unknown> {
  const expanded: unknown = compiled(name).expand({
    $root: withDefaults(name, data),
  });
  return expanded as Record<string, unknown>;
}

/** Renders a card template with typed data into a Teams attachment. */
export function renderCard<N extends CardName>(name: N, data: CardDataByName[N]): Attachment {
  return CardFactory.adaptiveCard(renderCardJson(name, data));
}
