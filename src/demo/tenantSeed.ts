/**
 * The demo tenant the directory emulator serves: its schema, the well-known ids everyone shares,
 * and the loader for `demoTenant.json`.
 */
import { z } from 'zod';
import demoTenant from './demoTenant.json' with { type: 'json' };

/**
 * A time in the seed: an absolute ISO time, or relative to the emulator's "now" so the demo and the
 * tests always see, say, a user created two days ago.
 */
const seedTimeSchema = z.union([
  z.iso.datetime({ offset: true }),
  z
    .object({
      daysAgo: z.number().nonnegative().optional(),
      minutesAgo: z.number().nonnegative().optional(),
    })
    .strict(),
]);
export type SeedTime = z.infer<typeof seedTimeSchema>;

const seedMethodSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('password'), id: z.string().optional() }).strict(),
  z
    .object({
      type: z.literal('microsoftAuthenticator'),
      id: z.string(),
      displayName: z.string(),
      deviceTag: z.string().default('SoftwareTokenActivated'),
      phoneAppVersion: z.string().default('6.8.7'),
      created: seedTimeSchema.optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('phone'),
      id: z.string(),
      phoneNumber: z.string(),
      phoneType: z.enum(['mobile', 'alternateMobile', 'office']).default('mobile'),
    })
    .strict(),
  z
    .object({
      type: z.literal('fido2'),
      id: z.string(),
      displayName: z.string(),
      model: z.string(),
      created: seedTimeSchema.optional(),
    })
    .strict(),
  z.object({ type: z.literal('softwareOath'), id: z.string() }).strict(),
  z.object({ type: z.literal('email'), id: z.string(), emailAddress: z.string() }).strict(),
  z
    .object({
      type: z.literal('windowsHelloForBusiness'),
      id: z.string(),
      displayName: z.string(),
      created: seedTimeSchema.optional(),
    })
    .strict(),
]);
/** A registered authentication method in the seed. */
export type SeedMethod = z.infer<typeof seedMethodSchema>;

const seedUserSchema = z
  .object({
    id: z.uuid(),
    displayName: z.string().min(1),
    userPrincipalName: z.string().min(1),
    accountEnabled: z.boolean().default(true),
    userType: z.enum(['Member', 'Guest']).default('Member'),
    mobilePhone: z.string().nullable().default(null),
    businessPhones: z.array(z.string()).default([]),
    department: z.string().nullable().default(null),
    jobTitle: z.string().nullable().default(null),
    created: seedTimeSchema.default({ daysAgo: 365 }),
    managerId: z.uuid().optional(),
    methods: z.array(seedMethodSchema).default([{ type: 'password' }]),
    risk: z
      .object({
        level: z.enum(['low', 'medium', 'high']),
        state: z.enum(['atRisk', 'confirmedCompromised', 'remediated', 'dismissed']),
        detail: z.string().default('none'),
      })
      .strict()
      .optional(),
  })
  .strict();
/** A user in the seed; `managerId` points at another seed user. */
export type SeedUser = z.infer<typeof seedUserSchema>;

const seedAuditSchema = z
  .object({
    activityDisplayName: z.string(),
    at: seedTimeSchema,
    targetUserId: z.uuid(),
    /** Names of the changed properties, as Graph lists them in `modifiedProperties`. */
    modifiedProperties: z.array(z.string()).default([]),
    category: z.string().default('UserManagement'),
  })
  .strict();

/** TAP policy defaults are the ones a new tenant gets. */
const seedTapPolicySchema = z
  .object({
    state: z.enum(['enabled', 'disabled']).default('enabled'),
    defaultLifetimeInMinutes: z.number().int().default(60),
    defaultLength: z.number().int().min(8).max(48).default(8),
    minimumLifetimeInMinutes: z.number().int().default(60),
    maximumLifetimeInMinutes: z.number().int().default(480),
    isUsableOnce: z.boolean().default(false),
    includeTargets: z
      .array(
        z
          .object({
            targetType: z.enum(['group', 'user']).default('group'),
            id: z.string(),
            isRegistrationRequired: z.boolean().default(false),
          })
          .strict(),
      )
      .default([{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }]),
  })
  .strict();

/** The whole tenant as the emulator starts it. */
export const tenantSeedSchema = z
  .object({
    organization: z.object({ id: z.uuid(), displayName: z.string() }).strict(),
    /** Teams app catalog ids that can be installed for a user. */
    teamsApps: z.array(z.string()).default([]),
    users: z.array(seedUserSchema),
    groups: z.array(
      z
        .object({
          id: z.uuid(),
          displayName: z.string(),
          /** User or group ids; nested groups count transitively. */
          members: z.array(z.uuid()),
        })
        .strict(),
    ),
    roleAssignments: z.array(
      z
        .object({
          id: z.string(),
          principalId: z.uuid(),
          roleDefinitionId: z.string(),
          directoryScopeId: z.string().default('/'),
        })
        .strict(),
    ),
    tapPolicy: seedTapPolicySchema.default(() => seedTapPolicySchema.parse({})),
    directoryAudits: z.array(seedAuditSchema).default([]),
  })
  .strict();

/** A validated tenant seed. */
export type TenantSeed = z.infer<typeof tenantSeedSchema>;

/** Validates a seed; throws a `ZodError` naming every problem. */
export function parseTenantSeed(input: unknown): TenantSeed {
  return tenantSeedSchema.parse(input);
}

/** The demo tenant, freshly parsed (so callers may mutate their copy). */
export function loadDemoTenant(): TenantSeed {
  return parseTenantSeed(structuredClone(demoTenant));
}

/** Well-known ids of the demo tenant, shared by the demo, the emulator and every test. */
export const DEMO = {
  tenantId: 'c0000000-0000-4000-8000-000000000001',
  teamsAppId: 'd0000000-0000-4000-8000-000000000001',
  users: {
    ava: 'a0000000-0000-4000-8000-000000000001',
    maya: 'a0000000-0000-4000-8000-000000000002',
    hugo: 'a0000000-0000-4000-8000-000000000003',
    hana: 'a0000000-0000-4000-8000-000000000004',
    sam: 'a0000000-0000-4000-8000-000000000005',
    ada: 'a0000000-0000-4000-8000-000000000006',
    nina: 'a0000000-0000-4000-8000-000000000007',
    gail: 'a0000000-0000-4000-8000-000000000008',
    dan: 'a0000000-0000-4000-8000-000000000009',
    olly: 'a0000000-0000-4000-8000-00000000000a',
  },
  groups: {
    helpdesk: 'b0000000-0000-4000-8000-000000000001',
    security: 'b0000000-0000-4000-8000-000000000002',
    privileged: 'b0000000-0000-4000-8000-000000000003',
  },
  channels: {
    helpdesk: '19:helpdesk@thread.tacv2',
    security: '19:security@thread.tacv2',
  },
  roles: {
    globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  },
} as const;
