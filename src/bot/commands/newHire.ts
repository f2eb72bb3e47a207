import { offerNewHire } from '../../flows/newHire.js';
import type { Command } from '../types.js';

/** A manager asking for a new starter's first sign-in. */
const NEW_HIRE =
  /\bnew (starter|hire|joiner|employee|colleague)s?\b|\bfirst device\b|\bonboarding\b/;

export const newHireCommand: Command = {
  name: 'new starter',
  description:
    'Managers: a one-time pass for a new starter who reports to you, handed over in person',
  scopes: ['personal'],
  matches: (text) => NEW_HIRE.test(text),
  async handle(turn, services) {
    const { aadObjectId, name } = turn.activity.from;
    if (!aadObjectId) {
      await turn.sendActivity(
        'I cannot tell who you are from this chat. Please call the helpdesk.',
      );
      return;
    }
    const card = await offerNewHire(services, { id: aadObjectId, name: name ?? 'Unknown user' });
    await turn.sendActivity({ attachments: [card] });
  },
};
