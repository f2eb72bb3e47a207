import type { CardAction } from '../types.js';
import type { Verb } from '../verbs.js';
import { attestCannot, attestConfirm, attestSuspicious } from './attest.js';
import {
  approve,
  assign,
  deny,
  retryIssue,
  reviewFlags,
  toggleCheck,
  unassign,
} from './channelActions.js';
import { dismissOffer } from './dismissOffer.js';
import { help } from './help.js';
import { lostPhone } from './lostPhone.js';
import { requestNewHirePass } from './newHireActions.js';
import { deliver, revoke } from './passActions.js';
import {
  newPhone,
  removeDevice,
  requestBackupPass,
  startPlannedChange,
  tickStep,
} from './plannedChangeActions.js';
import { cancelRequest, finishRecovery, removeOldDevice } from './requesterActions.js';
import { submitLostPhone } from './submitLostPhone.js';

/** Every card action by verb. The invoke handler looks verbs up here and never grows a switch. */
export const ACTIONS: ReadonlyMap<Verb, CardAction> = new Map(
  [
    help,
    lostPhone,
    submitLostPhone,
    dismissOffer,
    attestConfirm,
    attestCannot,
    attestSuspicious,
    toggleCheck,
    reviewFlags,
    assign,
    unassign,
    approve,
    retryIssue,
    deny,
    deliver,
    revoke,
    finishRecovery,
    removeOldDevice,
    cancelRequest,
    newPhone,
    startPlannedChange,
    tickStep,
    removeDevice,
    requestBackupPass,
    requestNewHirePass,
  ].map((action) => [action.verb, action]),
);
