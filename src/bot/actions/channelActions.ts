import { z } from 'zod';
import { actOnRequest } from '../../flows/actOnRequest.js';
import { approveRequest, retryIssue as retry } from '../../flows/issuePass.js';
import { VERBS } from '../verbs.js';
import { cardFlag, reasonSchema } from './cardInputs.js';
import { requestAction } from './requestAction.js';

export const toggleCheck = requestAction({
  verb: VERBS.toggleCheck,
  slot: 'channel',
  schema: z.object({ check: z.string().min(1).max(64), done: cardFlag }),
  run: (services, click, { check, done }) =>
    actOnRequest(services, click, [{ type: 'tick', check, done }]),
});

export const reviewFlags = requestAction({
  verb: VERBS.reviewFlags,
  slot: 'channel',
  run: (services, click) => actOnRequest(services, click, [{ type: 'review_flags' }]),
});

export const assign = requestAction({
  verb: VERBS.assign,
  slot: 'channel',
  run: (services, click) => actOnRequest(services, click, [{ type: 'assign' }]),
});

export const unassign = requestAction({
  verb: VERBS.unassign,
  slot: 'channel',
  run: (services, click) => actOnRequest(services, click, [{ type: 'unassign' }]),
});

export const approve = requestAction({
  verb: VERBS.approve,
  slot: 'channel',
  run: approveRequest,
});

export const retryIssue = requestAction({ verb: VERBS.retryIssue, slot: 'channel', run: retry });

export const deny = requestAction({
  verb: VERBS.deny,
  slot: 'channel',
  schema: reasonSchema,
  run: (services, click, { reason }) => actOnRequest(services, click, [{ type: 'deny', reason }]),
});
