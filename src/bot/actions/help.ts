import { helpCard, scopeOf } from '../commands/help.js';
import { COMMANDS } from '../commands/index.js';
import { messageResponse } from '../invokeResponses.js';
import type { CardAction } from '../types.js';
import { VERBS } from '../verbs.js';

/** The welcome card's Help button: posts the help card and leaves the welcome card in place. */
export const help: CardAction = {
  verb: VERBS.help,
  async handle({ turn }) {
    await turn.sendActivity({ attachments: [helpCard(COMMANDS, scopeOf(turn))] });
    return messageResponse('Here is what I can do.');
  },
};
