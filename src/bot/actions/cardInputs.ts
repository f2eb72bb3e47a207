/** Schemas for values people type or toggle on cards, shared by every action that reads them. */
import { z } from 'zod';

/** Card inputs arrive as strings or booleans depending on the client; accept both. */
export const cardFlag = z.union([
  z.boolean(),
  z.enum(['true', 'false']).transform((v) => v === 'true'),
]);

/** A free-text reason (deny, revoke): the requester or the audit reads it. */
export const reasonSchema = z.object({ reason: z.string().trim().max(500).default('') });
