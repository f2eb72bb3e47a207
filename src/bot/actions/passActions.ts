import { deliverPass } from '../../flows/deliverPass.js';
import { revokePass } from '../../flows/revokePass.js';
import { VERBS } from '../verbs.js';
import { reasonSchema } from './cardInputs.js';
import { requestAction } from './requestAction.js';

export const deliver = requestAction({ verb: VERBS.deliver, slot: 'agent', run: deliverPass });

export const revoke = requestAction({
  verb: VERBS.revoke,
  slot: 'agent',
  schema: reasonSchema,
  run: (services, click, { reason }) => revokePass(services, click, reason),
});
