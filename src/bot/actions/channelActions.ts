import { z } from 'zod';
import { actOnRequest } from '../../flows/actOnRequest.js';
import { approveRequest, retryIssue as retry } from '../../flows/issuePass.js';
import { VERBS } from '../verbs.js';
import { requestAction } from './requestAction.js';

/** Card inputs arrive as strings or booleans depending on the client; accept both. */
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const reasonSchema = z.object({ reason: z.string().trim().max(500).default('') });

export const toggleCheck = requestAction({
  verb: VERBS.toggleCheck,
  slot: 'channel',
  schema: z.object({ check: z.string().min(1).max(64), done: flag }),
  run: (services, click, { check, done }) =>
    actOnRequest(services, click, () => [{ type: 'tick', check, done }]),
});

export const reviewFlags = requestAction({
  verb: VERBS.reviewFlags,
  slot: 'channel',
  run: (services, click) => actOnRequest(services, click, () => [{ type: 'review_flags' }]),
});

export const assign = requestAction({
  verb: VERBS.assign,
  slot: 'channel',
  run: (services, click) => actOnRequest(services, click, () => [{ type: 'assign' }]),
});

export const unassign = requestAction({
  verb: VERBS.unassign,
  slot: 'channel',
  run: (services, click) => actOnRequest(services, click, () => [{ type: 'unassign' }]),
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
  run: (services, click, { reason }) =>
    actOnRequest(services, click, () => [{ type: 'deny', reason }]),
});

export { reasonSchema };
