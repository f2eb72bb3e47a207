import type { TurnContext } from 'botbuilder';
import { resolveActor } from '../../flows/actors.js';
import { audit } from '../../flows/audit.js';
import { historyCard } from '../../flows/history.js';
import { queueCard } from '../../flows/queue.js';
import { statsCard } from '../../flows/stats.js';
import type { Services } from '../../services.js';
import type { Command } from '../types.js';

/** Runs `reply` only for helpdesk members (read from the directory now); others get a refusal. */
async function helpdeskOnly(
  turn: TurnContext,
  services: Services,
  command: string,
  reply: () => Promise<void>,
): Promise<void> {
  const { aadObjectId, name } = turn.activity.from;
  const person = { id: aadObjectId ?? '', name: name ?? 'Unknown user' };
  const actor = aadObjectId ? await resolveActor(services, person) : undefined;
  if (!actor?.isHelpdesk) {
    await audit(services, {
      request: null,
      actor: person,
      action: command,
      outcome: 'refused',
      reason: 'not a helpdesk agent',
    });
    await turn.sendActivity(`Only helpdesk agents can use "${command}".`);
    return;
  }
  await reply();
}

export const queueCommand: Command = {
  name: 'queue',
  description: 'Open requests, oldest first (helpdesk)',
  scopes: ['personal', 'team'],
  matches: (text) => /^queue\b/.test(text),
  handle: (turn, services) =>
    helpdeskOnly(turn, services, 'queue', async () => {
      await turn.sendActivity({ attachments: [await queueCard(services)] });
    }),
};

const HISTORY = /^history\s+([0-9a-f-]{36})\b/;

export const historyCommand: Command = {
  name: 'history <request id>',
  description: "A request's audit trail (helpdesk)",
  scopes: ['personal', 'team'],
  matches: (text) => /^history\b/.test(text),
  handle: (turn, services, text) =>
    helpdeskOnly(turn, services, 'history', async () => {
      const id = HISTORY.exec(text)?.[1];
      if (!id) {
        await turn.sendActivity('Say "history" and the request id from the bottom of its card.');
        return;
      }
      await turn.sendActivity({ attachments: [await historyCard(services, id)] });
    }),
};

export const statsCommand: Command = {
  name: 'stats',
  description: 'Requests in the last 7 and 30 days (helpdesk)',
  scopes: ['personal', 'team'],
  matches: (text) => /^stats\b/.test(text),
  handle: (turn, services) =>
    helpdeskOnly(turn, services, 'stats', async () => {
      await turn.sendActivity({ attachments: [await statsCard(services)] });
    }),
};
