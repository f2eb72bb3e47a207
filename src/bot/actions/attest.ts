import { attest } from '../../flows/attest.js';
import { VERBS } from '../verbs.js';
import { requestAction } from './requestAction.js';

/** The manager's three answers, one verb each, so card data carries nothing but the id. */
export const attestConfirm = requestAction({
  verb: VERBS.attestConfirm,
  slot: 'manager',
  run: (services, click) => attest(services, click, 'confirmed'),
});

export const attestCannot = requestAction({
  verb: VERBS.attestCannot,
  slot: 'manager',
  run: (services, click) => attest(services, click, 'cannot_confirm'),
});

export const attestSuspicious = requestAction({
  verb: VERBS.attestSuspicious,
  slot: 'manager',
  run: (services, click) => attest(services, click, 'suspicious'),
});
