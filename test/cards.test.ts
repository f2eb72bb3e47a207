/**
 * Every card template, rendered with sample data the way the bot renders it, must parse cleanly
 * in the official Adaptive Cards renderer at schema 1.5 and may only carry verbs the bot handles.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as AC from 'adaptivecards';
import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../src/bot/actions/index.js';
import { VERBS, type Verb } from '../src/bot/verbs.js';
import { CARDS_DIR, renderCardJson, type CardDataByName, type CardName } from '../src/cards.js';
import { DEVICE_SCENARIO_TITLES, DEVICE_SCENARIOS } from '../src/domain/runbooks.js';
import { REQUEST_STATES, type RequestState, type TapRequest } from '../src/domain/request.js';
import {
  agentCardData,
  channelCardData,
  managerCardData,
  requesterCardData,
} from '../src/flows/requestCards.js';
import {
  aPass,
  aRequest,
  anApprovedRequest,
  anIssuedRequest,
  minutesFromNow,
  people,
} from './support/requestFactory.js';

type Json = Record<string, unknown>;

/** Ava's request as it stands in each state, with the fields that state brings. */
const REQUEST_IN: Record<RequestState, () => TapRequest> = {
  submitted: () => aRequest({ state: 'submitted' }),
  awaiting_verification: () =>
    aRequest({
      assignee: { ...people.hugo },
      checks: { callback: true },
      flags: ['Phone number on file changed on 2025-05-30, in the last 14 days'],
    }),
  awaiting_approval: () =>
    aRequest({
      state: 'awaiting_approval',
      attestation: 'confirmed',
      checks: { callback: true, identity: true },
    }),
  approved: () =>
    anApprovedRequest({ lastError: 'Graph is throttling TapDesk; try again in a minute.' }),
  pass_issued: () => anIssuedRequest(),
  delivered: () =>
    anIssuedRequest({
      state: 'delivered',
      pass: aPass({ deliveredAt: minutesFromNow(5).toISOString() }),
    }),
  completed: () =>
    anIssuedRequest({
      state: 'completed',
      pass: aPass({
        deliveredAt: minutesFromNow(5).toISOString(),
        scrubbedAt: minutesFromNow(5).toISOString(),
      }),
    }),
  denied: () =>
    aRequest({ state: 'denied', outcomeReason: 'Denied by Hugo Helpdesk: the callback failed' }),
  cancelled: () => aRequest({ state: 'cancelled', outcomeReason: 'Cancelled by Ava Employee' }),
  expired: () => aRequest({ state: 'expired' }),
  failed: () =>
    anApprovedRequest({
      state: 'failed',
      outcomeReason: 'The pass could not be created: TAP is disabled for this user',
    }),
  escalated: () =>
    aRequest({
      state: 'escalated',
      attestation: 'suspicious',
      outcomeReason: 'Maya Manager reported this request as suspicious',
    }),
};

/** Each state's request, plus the same state with no manager, no phone and reviewed flags. */
function requestsInEveryState(): TapRequest[] {
  return REQUEST_STATES.flatMap((state) => {
    const request = REQUEST_IN[state]();
    return [
      request,
      {
        ...request,
        id: `${request.id}-orphan`,
        kind: 'backup_pass' as const,
        manager: null,
        attestation: 'no_manager' as const,
        phoneOnFile: null,
        flags: ['No phone number on file: the callback must happen in person or on video'],
        flagsReviewed: true,
      },
    ];
  });
}

const banner = 'Someone else already approved this request.';

/** Sample data for every template; request cards come from the view models. */
const SAMPLES: { [N in CardName]: () => CardDataByName[N][] } = {
  welcome: () => [{ firstName: 'Ava' }],
  help: () => [
    {
      commands: [
        { name: 'help', description: 'Show what TapDesk can do here' },
        { name: 'lost phone', description: 'Get a one-time pass after losing your phone' },
      ],
      footer: 'TapDesk never asks for your password and never turns MFA off.',
    },
  ],
  notice: () => [
    { title: 'Nothing was changed', text: 'The request is already closed.' },
    ...(['default', 'good', 'attention', 'warning'] as const).map((tone) => ({
      title: `A ${tone} notice`,
      text: 'Something happened.',
      tone,
      reference: 'corr-1234',
    })),
  ],
  lostPhoneOffer: () => [
    {
      firstName: 'Ava',
      steps: [
        { text: "1. Maya Manager, your manager in the directory, confirms it's really you." },
        { text: '2. A helpdesk agent calls you at the number on file ending in 42.' },
      ],
    },
  ],
  requestStatus: () =>
    requestsInEveryState().flatMap((request) => [
      requesterCardData(request),
      requesterCardData(request, banner, [{ id: 'auth-1', label: 'iPhone 12' }]),
    ]),
  managerAttest: () =>
    requestsInEveryState().flatMap((request) => [
      managerCardData(request),
      managerCardData(request, banner),
    ]),
  channelRequest: () =>
    requestsInEveryState().flatMap((request) => [
      channelCardData(request),
      channelCardData({ ...request, flagsReviewed: false }, banner),
    ]),
  agentPass: () =>
    requestsInEveryState().flatMap((request) => [
      agentCardData(request),
      agentCardData(request, { pass: 'Xy7#kP2q', banner }),
    ]),
  securityAlert: () => [
    {
      title: 'Privileged account asked for a pass',
      text: 'Ada Admin holds an active directory role; TapDesk issued nothing.',
      facts: [
        { title: 'Account', value: 'ada@contoso.example' },
        { title: 'Role', value: 'Global Administrator' },
      ],
    },
  ],
  report: () => [
    { title: 'Open requests: 0', text: 'Nothing is waiting.', sections: [] },
    {
      title: 'Open requests: 1',
      text: '',
      sections: [
        {
          heading: 'Queue',
          lines: [{ text: '**Ava Employee** · Lost or broken phone · Waiting for verification' }],
        },
      ],
    },
  ],
  plannedChangeStart: () =>
    ['', 'That date has passed; pick today or later.'].map((banner) => ({
      banner,
      scenarios: DEVICE_SCENARIOS.map((value) => ({ value, title: DEVICE_SCENARIO_TITLES[value] })),
      minDate: '2025-06-02',
      maxDate: '2025-08-31',
    })),
  plannedChange: () => [
    {
      checklistId: 'a4c1f0de-1c8e-4d43-9a52-6b0f3a1d2e10',
      banner: 'Removed iPhone 12 from your account.',
      bannerStyle: 'good',
      title: 'Your new-phone checklist',
      subtitle: 'My own iPhone (my personal Apple ID) · switching on Saturday 7 June 2025',
      progress: '1 of 9 steps done',
      notes: [{ text: 'Microsoft Authenticator on iPhone backs up to iCloud Keychain.' }],
      steps: [
        {
          id: 'ios_version',
          mark: '☑',
          text: 'Check iOS 16.',
          why: 'Backup.',
          toggleTitle: 'Undo',
          next: false,
        },
        {
          id: 'remove_old',
          mark: '☐',
          text: 'Remove the old phone.',
          why: 'Safety.',
          toggleTitle: 'Done',
          next: true,
        },
      ],
      devices: [
        {
          id: 'e0000000-0000-4000-8000-000000000101',
          text: 'iPhone 12 · added Saturday 2 March 2024',
          canRemove: true,
        },
        {
          id: 'e0000000-0000-4000-8000-0000000001fe',
          text: 'iPhone 16 · added Monday 2 June 2025 · new',
          canRemove: false,
        },
      ],
      devicesNote:
        'The new phone is registered. Remove the old one so it can no longer approve sign-ins.',
      backupPassText: 'No backup method: ask for a backup pass before you switch.',
      canRequestBackupPass: true,
    },
    {
      checklistId: 'a4c1f0de-1c8e-4d43-9a52-6b0f3a1d2e10',
      banner: '',
      bannerStyle: 'warning',
      title: 'Your new-phone checklist',
      subtitle: 'Something else · no date set',
      progress: 'All 0 steps done.',
      notes: [],
      steps: [],
      devices: [],
      devicesNote: 'No Microsoft Authenticator is registered on your account.',
      backupPassText: '',
      canRequestBackupPass: false,
    },
  ],
  newHireStart: () => [
    {
      banner: '',
      reports: [{ title: 'Nina Newhire (nina@contoso.example)', value: people.nina.id }],
      minDate: '2025-06-02',
      maxDate: '2025-08-31',
    },
  ],
};

/** One rendered sample; `requestId` is set for the cards about a request. */
interface Rendered {
  name: CardName;
  card: Json;
  requestId: string | null;
}

function renderSamples<N extends CardName>(name: N): Rendered[] {
  return SAMPLES[name]().map((data) => {
    const requestId: unknown = (data as { requestId?: unknown }).requestId;
    return {
      name,
      card: renderCardJson(name, data),
      requestId: typeof requestId === 'string' ? requestId : null,
    };
  });
}

const templateNames = readdirSync(CARDS_DIR)
  .filter((file) => file.endsWith('.json'))
  .map((file) => basename(file, '.json'))
  .sort();

const isCardName = (name: string): name is CardName => Object.hasOwn(SAMPLES, name);

/** Every rendered sample of every template in `cards/`. */
const rendered: Rendered[] = templateNames.flatMap((name) =>
  isCardName(name) ? renderSamples(name) : [],
);

/** Every object in a card tree, depth first: elements, actions, show-card cards, data. */
function* nodes(value: unknown): Generator<Json> {
  if (Array.isArray(value)) {
    for (const item of value) yield* nodes(item);
  } else if (typeof value === 'object' && value !== null) {
    const node = value as Json;
    yield node;
    for (const child of Object.values(node)) yield* nodes(child);
  }
}

const executeActions = (card: unknown): Json[] =>
  [...nodes(card)].filter((node) => node['type'] === 'Action.Execute');

/**
 * What the official renderer complains about: parse events at schema 1.5, then the card's own
 * property validation. Neither needs a DOM.
 */
function rendererEvents(card: Json): string[] {
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  const parsed = new AC.AdaptiveCard();
  parsed.parse(card, context);
  const events: string[] = [];
  for (let i = 0; i < context.eventCount; i++) {
    const event = context.getEventAt(i);
    events.push(`${AC.ValidationEvent[event.event]}: ${event.message}`);
  }
  for (const event of parsed.validateProperties().validationEvents) {
    events.push(`${AC.ValidationEvent[event.event]}: ${event.message}`);
  }
  return events;
}

describe('card templates', () => {
  it('has sample data for every template in cards/', () => {
    expect(templateNames.length).toBeGreaterThan(0);
    expect(templateNames.filter((name) => !isCardName(name))).toEqual([]);
    expect(templateNames).toEqual(Object.keys(SAMPLES).sort());
  });

  it('renders the request cards from a request in each state', () => {
    for (const state of REQUEST_STATES) expect(REQUEST_IN[state]().state).toBe(state);
  });

  it('leaves no template expression unexpanded', () => {
    for (const { name, card } of rendered) {
      const json = JSON.stringify(card);
      expect(json, name).not.toContain('${');
      expect(json, name).not.toContain('"$when"');
      expect(json, name).not.toContain('"$data"');
    }
  });

  it('parses every rendered card in the official renderer at 1.5 without errors or warnings', () => {
    for (const { name, card } of rendered) {
      expect(card['version'], name).toBe('1.5');
      expect(rendererEvents(card), `${name}: ${JSON.stringify(card)}`).toEqual([]);
    }
  });

  it('reports a bad value and an unknown action, so a clean parse means something', () => {
    const broken = {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [{ type: 'TextBlock', text: 'Hello', color: 'Purple' }],
      actions: [{ type: 'Action.Unknown', title: 'Nope' }],
    };
    expect(rendererEvents(broken)).toHaveLength(2);
  });

  it('gives every Action.Execute, nested ones too, a verb the bot has a handler for', () => {
    let count = 0;
    for (const { name, card } of rendered) {
      for (const action of executeActions(card)) {
        count++;
        const verb = action['verb'];
        expect(typeof verb === 'string' && verb.length > 0, `${name}: ${String(verb)}`).toBe(true);
        expect(ACTIONS.has(verb as Verb), `${name}: ${String(verb)}`).toBe(true);
      }
    }
    expect(count).toBeGreaterThan(0);
  });

  it('finds the actions inside show-cards and action sets', () => {
    const verbs = new Set(
      rendered.flatMap(({ card }) => executeActions(card)).map((a) => a['verb']),
    );
    for (const nested of [VERBS.deny, VERBS.revoke, VERBS.toggleCheck, VERBS.removeOldDevice]) {
      expect(verbs).toContain(nested);
    }
  });

  it('has every action on a request card carry that request id', () => {
    const requestCards = rendered.filter((r) => r.requestId !== null);
    expect(requestCards.length).toBeGreaterThan(0);
    for (const { name, card, requestId } of requestCards) {
      for (const action of executeActions(card)) {
        expect(action['data'], `${name} ${String(action['verb'])}`).toMatchObject({ requestId });
      }
    }
  });

  it('has a handler for every verb, registered under that verb', () => {
    const verbs = Object.values(VERBS);
    expect(ACTIONS.size).toBe(verbs.length);
    for (const verb of verbs) {
      expect(ACTIONS.get(verb)?.verb, verb).toBe(verb);
    }
  });

  it('uses every verb in at least one template, and only known verbs', () => {
    const templateVerbs = new Set<unknown>();
    for (const name of templateNames) {
      const template: unknown = JSON.parse(readFileSync(join(CARDS_DIR, `${name}.json`), 'utf8'));
      for (const action of executeActions(template)) templateVerbs.add(action['verb']);
    }
    expect([...templateVerbs].sort()).toEqual(Object.values(VERBS).sort());
  });
});
