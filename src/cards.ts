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

/** Every card template in `cards/` and the data it is rendered with. */
export interface CardDataByName {
  welcome: WelcomeCardData;
  help: HelpCardData;
  notice: NoticeCardData;
}

export type CardName = keyof CardDataByName;

const templates = new Map<string, object>();

function template(name: string): object {
  let parsed = templates.get(name);
  if (!parsed) {
    parsed = JSON.parse(readFileSync(join(CARDS_DIR, `${name}.json`), 'utf8')) as object;
    templates.set(name, parsed);
  }
  return parsed;
}

const TONE_COLOR: Record<Tone, string> = {
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
  const expanded: unknown = new ACData.Template(template(name)).expand({
    $root: withDefaults(name, data),
  });
  return expanded as Record<string, unknown>;
}

/** Renders a card template with typed data into a Teams attachment. */
export function renderCard<N extends CardName>(name: N, data: CardDataByName[N]): Attachment {
  return CardFactory.adaptiveCard(renderCardJson(name, data));
}
