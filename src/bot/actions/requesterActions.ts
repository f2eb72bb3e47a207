import { z } from 'zod';
import { actOnRequest } from '../../flows/actOnRequest.js';
import { finishRecovery as finish } from '../../flows/completeRecovery.js';
import { removeOldDevice as remove } from '../../flows/removeOldDevice.js';
import { VERBS } from '../verbs.js';
import { requestAction } from './requestAction.js';

export const finishRecovery = requestAction({
  verb: VERBS.finishRecovery,
  slot: 'requester',
  run: finish,
});

export const removeOldDevice = requestAction({
  verb: VERBS.removeOldDevice,
  slot: 'requester',
  schema: z.object({ methodId: z.string().min(1).max(200) }),
  run: (services, click, { methodId }) => remove(services, click, methodId),
});

export const cancelRequest = requestAction({
  verb: VERBS.cancelRequest,
  slot: 'requester',
  run: (services, click) => actOnRequest(services, click, [{ type: 'cancel' }]),
});
