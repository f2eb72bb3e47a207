import type { Command } from '../types.js';
import { helpCommand } from './help.js';
import { lostPhoneCommand } from './lostPhone.js';

/** Text commands, tried in order; the first whose `matches` says yes handles the message. */
export const COMMANDS: readonly Command[] = [helpCommand(() => COMMANDS), lostPhoneCommand];
