import type { CardAction } from '../types.js';
import type { Verb } from '../verbs.js';
import { help } from './help.js';

/** Every card action by verb. The invoke handler looks verbs up here and never grows a switch. */
export const ACTIONS: ReadonlyMap<Verb, CardAction> = new Map(
  [help].map((action) => [action.verb, action]),
);
