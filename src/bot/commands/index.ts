import type { Command } from '../types.js';
import { helpCommand } from './help.js';
import { historyCommand, queueCommand, statsCommand } from './helpdeskCommands.js';
import { lostPhoneCommand } from './lostPhone.js';
import { newHireCommand } from './newHire.js';
import { newPhoneCommand } from './plannedChange.js';
import { cancelCommand, statusCommand } from './requesterCommands.js';

/** Text commands, tried in order; the first whose `matches` says yes handles the message. */
export const COMMANDS: readonly Command[] = [
  helpCommand(() => COMMANDS),
  statusCommand,
  cancelCommand,
  queueCommand,
  historyCommand,
  statsCommand,
  lostPhoneCommand,
  newHireCommand,
  newPhoneCommand,
];
