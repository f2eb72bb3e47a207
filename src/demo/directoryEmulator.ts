/**
 * A Microsoft Graph–compatible directory on loopback: the demo tenant for `npm run demo` and the
 * Graph every integration test talks to. It speaks Graph's URLs (under `/v1.0`), JSON shapes,
 * status codes and error shape, and lets tests inject faults, latency and withdrawn permissions.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { GRAPH_OPERATIONS, type GraphPermission } from '../graph/permissions.js';
import type { SeedMethod, SeedTime, TenantSeed } from './tenantSeed.js';

/** One request the emulator answered; `$batch` sub-requests are recorded one by one too. */
export interface RecordedCall {
  method: string;
  /** Decoded Graph path without `/v1.0` and without the query, e.g. `/users/{id}/manager`. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  viaBatch: boolean;
}

/** A failure the emulator answers instead of the real response, `times` times. */
export interface Fault {
  method?: string;
  /** Tested against {@link RecordedCall.path}. */
  path: RegExp;
  status: 403 | 404 | 429 | 500 | 502 | 503 | 504;
  retryAfterSeconds?: number;
  /** Default 1; `Infinity` for a permanent fault. */
  times?: number;
}

/** A user as the emulator stores it (all the properties `$select` can ask for). */
export interface EmulatedUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
  accountEnabled: boolean;
  userType: 'Member' | 'Guest';
  mobilePhone: string | null;
  businessPhones: string[];
  department: string | null;
  jobTitle: string | null;
  createdDateTime: string;
}

/** A registered authentication method. A Temporary Access Pass is kept without its pass. */
export type EmulatedMethod =
  | { type: 'password'; id: string; createdDateTime: string | null }
  | {
      type: 'microsoftAuthenticator';
      id: string;
      displayName: string;
      deviceTag: string;
      phoneAppVersion: string;
      createdDateTime: string | null;
    }
  | { type: 'phone'; id: string; phoneNumber: string; phoneType: string }
  | {
      type: 'fido2';
      id: string;
      displayName: string;
      model: string;
      createdDateTime: string | null;
    }
  | { type: 'softwareOath'; id: string }
  | { type: 'email'; id: string; emailAddress: string }
  | {
      type: 'windowsHelloForBusiness';
      id: string;
      displayName: string;
      createdDateTime: string | null;
    }
  | {
      type: 'temporaryAccessPass';
      id: string;
      createdDateTime: string;
      startDateTime: string;
      lifetimeInMinutes: number;
      isUsableOnce: boolean;
    };

/** A directory audit entry about one target user. */
export interface EmulatedAudit {
  id: string;
  activityDisplayName: string;
  activityDateTime: string;
  category: string;
  targetUserId: string;
  modifiedProperties: string[];
}

/** A Teams app installed in a user's personal scope, with its 1:1 chat. */
export interface EmulatedInstallation {
  id: string;
  teamsAppId: string;
  chatId: string;
}

/** The emulator's mutable state; tests change it directly to set up a scenario. */
export interface EmulatorTenant {
  organization: { id: string; displayName: string };
  teamsApps: Set<string>;
  users: Map<string, EmulatedUser>;
  /** User id → manager id. */
  managers: Map<string, string>;
  groups: Map<string, { id: string; displayName: string; members: Set<string> }>;
  roleAssignments: Array<{
    id: string;
    principalId: string;
    roleDefinitionId: string;
    directoryScopeId: string;
  }>;
  /** User id → methods. */
  methods: Map<string, EmulatedMethod[]>;
  tapPolicy: TenantSeed['tapPolicy'];
  riskyUsers: Map<
    string,
    { riskLevel: string; riskState: string; riskDetail: string; riskLastUpdatedDateTime: string }
  >;
  directoryAudits: EmulatedAudit[];
  /** User id → apps installed in their personal scope. */
  installedApps: Map<string, EmulatedInstallation[]>;
}

/** How to start the emulator: the tenant it serves and the clock it uses. */
export interface DirectoryEmulatorOptions {
  seed: TenantSeed;
  /** Default 0: an ephemeral port. */
  port?: number;
  now?: () => Date;
  /** Page size of the audit log when the caller sends no `$top` (default 100). */
  auditPageSize?: number;
}

/** A running emulator and the handles tests use to observe and disturb it. */
export interface DirectoryEmulator {
  /** Root URL without `/v1.0`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  calls: RecordedCall[];
  callsTo(method: string, path: RegExp): RecordedCall[];
  /** Every pass the emulator returned, so tests can search outputs for them. */
  issuedPasses: string[];
  tenant: EmulatorTenant;
  inject(fault: Fault): void;
  /** Delays matching requests (all when `path` is omitted); `0` removes the delay. */
  setLatency(ms: number, path?: RegExp): void;
  /** Every endpoint that needs `permission` answers 403 until it is granted again. */
  denyPermission(permission: GraphPermission): void;
  grantPermission(permission: GraphPermission): void;
  /** Removes injected faults, latency and denied permissions; the tenant data stays. */
  reset(): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Wire shapes

const PASSWORD_METHOD_ID = '28c10230-6103-485e-b985-444c60001490';
const MAX_BATCH = 20;
const MAX_BODY_BYTES = 1_000_000;
const GRAPH_ROOT = 'https://graph.microsoft.com/v1.0';

const USER_PROPERTIES = [
  'id',
  'displayName',
  'userPrincipalName',
  'accountEnabled',
  'userType',
  'mobilePhone',
  'businessPhones',
  'department',
  'jobTitle',
  'createdDateTime',
  'mail',
  'givenName',
  'surname',
  'officeLocation',
  'preferredLanguage',
] as const;
/** What Graph v1.0 returns for a user without `$select`: no accountEnabled, userType … */
const USER_DEFAULT_PROPERTIES = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];

const batchSchema = z.object({
  requests: z.array(
    z.object({
      id: z.string().min(1),
      method: z.string().min(1),
      url: z.string().min(1),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
      dependsOn: z.array(z.string()).optional(),
    }),
  ),
});

const tapRequestSchema = z.object({
  lifetimeInMinutes: z.number().int().optional(),
  isUsableOnce: z.boolean().optional(),
  startDateTime: z.iso.datetime({ offset: true }).optional(),
});

const checkMemberGroupsSchema = z.object({ groupIds: z.array(z.string()) });
const installSchema = z.object({ 'teamsApp@odata.bind': z.string() });

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Thrown inside handlers; becomes Graph's error shape. */
class GraphFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const FAULT_ERRORS: Record<Fault['status'], { code: string; message: string }> = {
  403: {
    code: 'Authorization_RequestDenied',
    message: 'Insufficient privileges to complete the operation.',
  },
  404: { code: 'Request_ResourceNotFound', message: 'Resource not found.' },
  429: { code: 'TooManyRequests', message: 'Too many requests. Retry after some time.' },
  500: { code: 'generalException', message: 'General exception while processing.' },
  502: { code: 'BadGateway', message: 'Bad gateway.' },
  503: {
    code: 'serviceNotAvailable',
    message: 'The service is temporarily unavailable. Please try again later.',
  },
  504: { code: 'gatewayTimeout', message: 'The gateway timed out.' },
};

const notFound = (what: string): GraphFailure =>
  new GraphFailure(
    404,
    'Request_ResourceNotFound',
    `Resource '${what}' does not exist or one of its queried reference-property objects are not present.`,
  );
const badRequest = (message: string, code = 'BadRequest'): GraphFailure =>
  new GraphFailure(400, code, message);

// ---------------------------------------------------------------------------------------------
// Seed → state

function resolveTime(time: SeedTime, now: Date): string {
  if (typeof time === 'string') return new Date(time).toISOString();
  const minutes = (time.daysAgo ?? 0) * 24 * 60 + (time.minutesAgo ?? 0);
  return new Date(now.getTime() - minutes * 60_000).toISOString();
}

function methodFromSeed(method: SeedMethod, now: Date): EmulatedMethod {
  const created = (time: SeedTime | undefined): string | null =>
    time === undefined ? null : resolveTime(time, now);
  switch (method.type) {
    case 'password':
      return { type: 'password', id: method.id ?? PASSWORD_METHOD_ID, createdDateTime: null };
    case 'microsoftAuthenticator':
    case 'fido2':
    case 'windowsHelloForBusiness': {
      const { created: time, ...rest } = method;
      return { ...rest, createdDateTime: created(time) };
    }
    default:
      return method;
  }
}

function tenantFromSeed(seed: TenantSeed, now: Date): EmulatorTenant {
  const users = new Map<string, EmulatedUser>();
  const managers = new Map<string, string>();
  const methods = new Map<string, EmulatedMethod[]>();
  const riskyUsers: EmulatorTenant['riskyUsers'] = new Map();
  for (const user of seed.users) {
    users.set(user.id, {
      id: user.id,
      displayName: user.displayName,
      userPrincipalName: user.userPrincipalName,
      accountEnabled: user.accountEnabled,
      userType: user.userType,
      mobilePhone: user.mobilePhone,
      businessPhones: [...user.businessPhones],
      department: user.department,
      jobTitle: user.jobTitle,
      createdDateTime: resolveTime(user.created, now),
    });
    if (user.managerId) managers.set(user.id, user.managerId);
    methods.set(
      user.id,
      user.methods.map((m) => methodFromSeed(m, now)),
    );
    if (user.risk) {
      riskyUsers.set(user.id, {
        riskLevel: user.risk.level,
        riskState: user.risk.state,
        riskDetail: user.risk.detail,
        riskLastUpdatedDateTime: resolveTime({ daysAgo: 1 }, now),
      });
    }
  }
  return {
    organization: { ...seed.organization },
    teamsApps: new Set(seed.teamsApps),
    users,
    managers,
    groups: new Map(
      seed.groups.map((g) => [
        g.id,
        { id: g.id, displayName: g.displayName, members: new Set(g.members) },
      ]),
    ),
    roleAssignments: seed.roleAssignments.map((r) => ({ ...r })),
    methods,
    tapPolicy: structuredClone(seed.tapPolicy),
    riskyUsers,
    directoryAudits: seed.directoryAudits.map((a) => ({
      id: randomUUID(),
      activityDisplayName: a.activityDisplayName,
      activityDateTime: resolveTime(a.at, now),
      category: a.category,
      targetUserId: a.targetUserId,
      modifiedProperties: [...a.modifiedProperties],
    })),
    installedApps: new Map(),
  };
}

// ---------------------------------------------------------------------------------------------
// Routing

interface Request {
  method: string;
  path: string;
  segments: string[];
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string>;
  /** Scheme and host the caller used, for `@odata.nextLink`. */
  origin: string;
}

interface Route {
  method: string;
  pattern: string[];
  permission: GraphPermission;
  handle(request: Request, params: Record<string, string>): Reply;
}

function matchRoute(
  routes: readonly Route[],
  method: string,
  segments: string[],
): { route: Route; params: Record<string, string> } | 'wrong_method' | undefined {
  let pathMatched = false;
  for (const route of routes) {
    if (route.pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = route.pattern.every((part, i) => {
      const segment = segments[i] ?? '';
      if (part.startsWith(':')) {
        params[part.slice(1)] = segment;
        return true;
      }
      return part.toLowerCase() === segment.toLowerCase();
    });
    if (!ok) continue;
    pathMatched = true;
    if (route.method === method) return { route, params };
  }
  return pathMatched ? 'wrong_method' : undefined;
}

function parseGraphUrl(
  raw: string,
): { path: string; segments: string[]; query: Record<string, string> } | undefined {
  let url: URL;
  try {
    url = new URL(raw.startsWith('/') ? raw : `/${raw}`, 'http://graph.invalid');
  } catch {
    return undefined;
  }
  let segments: string[];
  try {
    segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = value;
  return { path: `/${segments.join('/')}`, segments, query };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A pass like Graph's: letters, digits and symbols, without look-alike characters. */
function generatePass(length: number): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!@#$%&*+=?';
  let pass = '';
  while (pass.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // Rejection sampling keeps every character equally likely.
      if (byte < 256 - (256 % alphabet.length)) pass += alphabet[byte % alphabet.length];
      if (pass.length === length) break;
    }
  }
  return pass;
}

// ---------------------------------------------------------------------------------------------

/** Starts the emulator on 127.0.0.1. */
export async function startDirectoryEmulator(
  options: DirectoryEmulatorOptions,
): Promise<DirectoryEmulator> {
  const now = options.now ?? (() => new Date());
  const tenant = tenantFromSeed(options.seed, now());
  const calls: RecordedCall[] = [];
  const issuedPasses: string[] = [];
  let faults: Array<Fault & { remaining: number }> = [];
  let latencies: Array<{ ms: number; path?: RegExp }> = [];
  const denied = new Set<GraphPermission>();

  // --- tenant lookups --------------------------------------------------------------------------

  const findUser = (key: string): EmulatedUser => {
    const direct = tenant.users.get(key);
    if (direct) return direct;
    const lower = key.toLowerCase();
    for (const user of tenant.users.values()) {
      if (user.userPrincipalName.toLowerCase() === lower) return user;
    }
    throw notFound(key);
  };

  const userJson = (user: EmulatedUser): Record<string, unknown> => ({
    ...user,
    businessPhones: [...user.businessPhones],
    mail: user.userType === 'Guest' ? null : user.userPrincipalName,
    givenName: user.displayName.split(' ')[0] ?? null,
    surname: user.displayName.split(' ').slice(1).join(' ') || null,
    officeLocation: null,
    preferredLanguage: 'en-US',
  });

  const project = (
    full: Record<string, unknown>,
    select: string | undefined,
    typeName: string,
    allowed: readonly string[],
    defaults: readonly string[],
  ): Record<string, unknown> => {
    const wanted = select
      ? select
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : defaults;
    const out: Record<string, unknown> = {};
    for (const name of wanted) {
      const property = allowed.find((p) => p.toLowerCase() === name.toLowerCase());
      if (!property) {
        throw badRequest(
          `Parsing OData Select and Expand failed: Could not find a property named '${name}' on type '${typeName}'.`,
        );
      }
      out[property] = full[property];
    }
    return out;
  };

  const selectUser = (user: EmulatedUser, query: Record<string, string>, typed: boolean) => ({
    ...(typed ? { '@odata.type': '#microsoft.graph.user' } : {}),
    ...project(
      userJson(user),
      query.$select,
      'microsoft.graph.user',
      USER_PROPERTIES,
      USER_DEFAULT_PROPERTIES,
    ),
  });

  const transitiveGroupsOf = (principalId: string): Set<string> => {
    const result = new Set<string>();
    let frontier = [principalId];
    // Bounded by the number of groups: each group is added at most once.
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const group of tenant.groups.values()) {
        if (result.has(group.id)) continue;
        if (frontier.some((id) => group.members.has(id))) {
          result.add(group.id);
          next.push(group.id);
        }
      }
      frontier = next;
    }
    return result;
  };

  const methodsOf = (user: EmulatedUser): EmulatedMethod[] => {
    let list = tenant.methods.get(user.id);
    if (!list) {
      list = [];
      tenant.methods.set(user.id, list);
    }
    return list;
  };

  const tapUsability = (
    tap: Extract<EmulatedMethod, { type: 'temporaryAccessPass' }>,
  ): { isUsable: boolean; methodUsabilityReason: string } => {
    if (tenant.tapPolicy.state !== 'enabled') {
      return { isUsable: false, methodUsabilityReason: 'DisabledByPolicy' };
    }
    const start = Date.parse(tap.startDateTime);
    const at = now().getTime();
    if (at < start) return { isUsable: false, methodUsabilityReason: 'NotYetValid' };
    if (at > start + tap.lifetimeInMinutes * 60_000) {
      return { isUsable: false, methodUsabilityReason: 'Expired' };
    }
    return { isUsable: true, methodUsabilityReason: 'EnabledByPolicy' };
  };

  const methodJson = (method: EmulatedMethod): Record<string, unknown> => {
    const odataType = (name: string) => `#microsoft.graph.${name}AuthenticationMethod`;
    switch (method.type) {
      case 'password':
        return {
          '@odata.type': odataType('password'),
          id: method.id,
          password: null,
          createdDateTime: method.createdDateTime,
        };
      case 'microsoftAuthenticator':
      case 'fido2':
      case 'windowsHelloForBusiness':
      case 'email':
      case 'softwareOath': {
        const { type, ...rest } = method;
        const extra =
          type === 'fido2'
            ? { aaGuid: 'cb69481e-8ff7-4039-93ec-0a2729a154a8', attestationLevel: 'attested' }
            : type === 'softwareOath'
              ? { secretKey: null }
              : type === 'windowsHelloForBusiness'
                ? { keyStrength: 'normal' }
                : {};
        return { '@odata.type': odataType(type), ...rest, ...extra };
      }
      case 'phone':
        return {
          '@odata.type': odataType('phone'),
          id: method.id,
          phoneNumber: method.phoneNumber,
          phoneType: method.phoneType,
          smsSignInState: 'notSupported',
        };
      case 'temporaryAccessPass':
        return tapJson(method, null);
    }
  };

  const tapJson = (
    tap: Extract<EmulatedMethod, { type: 'temporaryAccessPass' }>,
    pass: string | null,
  ): Record<string, unknown> => ({
    '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethod',
    id: tap.id,
    temporaryAccessPass: pass,
    createdDateTime: tap.createdDateTime,
    startDateTime: tap.startDateTime,
    lifetimeInMinutes: tap.lifetimeInMinutes,
    isUsableOnce: tap.isUsableOnce,
    ...tapUsability(tap),
  });

  const inTapScope = (user: EmulatedUser): boolean => {
    const groups = transitiveGroupsOf(user.id);
    return tenant.tapPolicy.includeTargets.some(
      (t) => t.id === 'all_users' || t.id === user.id || groups.has(t.id),
    );
  };

  const createTap = (user: EmulatedUser, body: unknown): Reply => {
    const parsed = tapRequestSchema.safeParse(body ?? {});
    if (!parsed.success) {
      throw badRequest(
        'Invalid request body for temporaryAccessPassAuthenticationMethod.',
        'badRequest',
      );
    }
    const policy = tenant.tapPolicy;
    if (policy.state !== 'enabled' || !inTapScope(user)) {
      throw badRequest(
        'Converged UserCredentialPolicy does not allow creating or updating this authentication method. AuthMethodType [TemporaryAccessPass].',
        'badRequest',
      );
    }
    const lifetime = parsed.data.lifetimeInMinutes ?? policy.defaultLifetimeInMinutes;
    if (lifetime < 10 || lifetime > 43200) {
      throw badRequest(
        `lifetimeInMinutes must be between 10 and 43200; ${lifetime} was requested.`,
        'badRequest',
      );
    }
    if (lifetime < policy.minimumLifetimeInMinutes || lifetime > policy.maximumLifetimeInMinutes) {
      throw badRequest(
        `lifetimeInMinutes ${lifetime} is outside the Temporary Access Pass policy's range of ` +
          `${policy.minimumLifetimeInMinutes} to ${policy.maximumLifetimeInMinutes} minutes.`,
        'badRequest',
      );
    }
    if (policy.isUsableOnce && parsed.data.isUsableOnce === false) {
      throw badRequest(
        'The Temporary Access Pass policy only allows one-time passes (isUsableOnce must be true).',
        'badRequest',
      );
    }
    const created = now();
    const requestedStart = parsed.data.startDateTime
      ? new Date(parsed.data.startDateTime)
      : created;
    const start = requestedStart > created ? requestedStart : created;
    const tap = {
      type: 'temporaryAccessPass' as const,
      id: randomUUID(),
      createdDateTime: created.toISOString(),
      startDateTime: start.toISOString(),
      lifetimeInMinutes: lifetime,
      isUsableOnce: parsed.data.isUsableOnce ?? policy.isUsableOnce,
    };
    // A user has one pass: a new one replaces the old.
    const remaining: EmulatedMethod[] = methodsOf(user).filter(
      (m) => m.type !== 'temporaryAccessPass',
    );
    remaining.push(tap);
    tenant.methods.set(user.id, remaining);
    let pass = generatePass(policy.defaultLength);
    while (issuedPasses.includes(pass)) pass = generatePass(policy.defaultLength);
    issuedPasses.push(pass);
    return {
      status: 201,
      body: {
        '@odata.context': `${GRAPH_ROOT}/$metadata#users('${user.id}')/authentication/temporaryAccessPassMethods/$entity`,
        ...tapJson(tap, pass),
      },
    };
  };

  const deleteMethod = (user: EmulatedUser, type: EmulatedMethod['type'], id: string): Reply => {
    const list = methodsOf(user);
    const index = list.findIndex((m) => m.type === type && m.id === id);
    if (index < 0) throw notFound(id);
    list.splice(index, 1);
    return { status: 204 };
  };

  const collection = (value: unknown[]): Reply => ({ status: 200, body: { value } });

  const auditFilter = (filter: string | undefined): ((a: EmulatedAudit) => boolean) => {
    if (!filter) return () => true;
    const tests = filter.split(/\s+and\s+/i).map((clause): ((a: EmulatedAudit) => boolean) => {
      const target = /^targetResources\/any\((\w+):\s*\1\/id\s+eq\s+'([^']*)'\)$/i.exec(clause);
      if (target) return (a) => a.targetUserId === target[2];
      const time = /^activityDateTime\s+(ge|gt|le|lt)\s+(\S+)$/i.exec(clause);
      if (time) {
        const at = Date.parse(time[2] ?? '');
        if (Number.isNaN(at)) throw badRequest(`Invalid filter clause: bad date '${time[2]}'.`);
        const op = (time[1] ?? '').toLowerCase();
        return (a) => {
          const t = Date.parse(a.activityDateTime);
          return op === 'ge' ? t >= at : op === 'gt' ? t > at : op === 'le' ? t <= at : t < at;
        };
      }
      const activity = /^activityDisplayName\s+eq\s+'(.*)'$/i.exec(clause);
      if (activity) return (a) => a.activityDisplayName === activity[1];
      throw badRequest(`Invalid filter clause: '${clause}' is not supported.`);
    });
    return (a) => tests.every((t) => t(a));
  };

  const auditJson = (audit: EmulatedAudit): Record<string, unknown> => {
    const target = tenant.users.get(audit.targetUserId);
    return {
      id: audit.id,
      category: audit.category,
      correlationId: audit.id,
      result: 'success',
      resultReason: '',
      activityDisplayName: audit.activityDisplayName,
      activityDateTime: audit.activityDateTime,
      loggedByService: 'Core Directory',
      operationType: 'Update',
      initiatedBy: { app: null, user: null },
      targetResources: [
        {
          id: audit.targetUserId,
          displayName: target?.displayName ?? null,
          type: 'User',
          userPrincipalName: target?.userPrincipalName ?? null,
          modifiedProperties: audit.modifiedProperties.map((displayName) => ({
            displayName,
            oldValue: null,
            newValue: null,
          })),
        },
      ],
      additionalDetails: [],
    };
  };

  const installationFor = (user: EmulatedUser, installationId: string): EmulatedInstallation => {
    const found = (tenant.installedApps.get(user.id) ?? []).find((i) => i.id === installationId);
    if (!found) throw notFound(installationId);
    return found;
  };

  // --- routes ----------------------------------------------------------------------------------

  const P = GRAPH_OPERATIONS;
  const route = (
    method: string,
    path: string,
    permission: GraphPermission,
    handle: Route['handle'],
  ): Route => ({ method, pattern: path.split('/').filter(Boolean), permission, handle });

  const routes: Route[] = [
    route('GET', 'organization', P.ping.permission, (req) =>
      collection([
        project(
          { id: tenant.organization.id, displayName: tenant.organization.displayName },
          req.query.$select,
          'microsoft.graph.organization',
          ['id', 'displayName'],
          ['id', 'displayName'],
        ),
      ]),
    ),
    route('GET', 'users/:user', P.readUser.permission, (req, p) => ({
      status: 200,
      body: selectUser(findUser(p.user ?? ''), req.query, false),
    })),
    route('GET', 'users/:user/manager', P.readManager.permission, (req, p) => {
      const user = findUser(p.user ?? '');
      const manager = tenant.users.get(tenant.managers.get(user.id) ?? '');
      if (!manager) throw notFound('manager');
      return { status: 200, body: selectUser(manager, req.query, true) };
    }),
    route('GET', 'users/:user/directReports', P.readDirectReports.permission, (req, p) => {
      const user = findUser(p.user ?? '');
      const reports = [...tenant.managers]
        .filter(([, managerId]) => managerId === user.id)
        .flatMap(([reportId]) => {
          const report = tenant.users.get(reportId);
          return report ? [selectUser(report, req.query, true)] : [];
        });
      return collection(reports);
    }),
    route('POST', 'users/:user/checkMemberGroups', P.checkMemberGroups.permission, (req, p) => {
      const user = findUser(p.user ?? '');
      const body = checkMemberGroupsSchema.safeParse(req.body);
      if (!body.success) throw badRequest('The groupIds parameter is required.');
      if (body.data.groupIds.length > 20) {
        throw badRequest('Too many groupIds: at most 20 may be checked at a time.');
      }
      const groups = transitiveGroupsOf(user.id);
      return collection(body.data.groupIds.filter((id) => groups.has(id)));
    }),
    // Group reads exist for `npm run doctor`, which checks the configured groups exist.
    route('GET', 'groups/:group', P.checkMemberGroups.permission, (req, p) => {
      const group = tenant.groups.get(p.group ?? '');
      if (!group) throw notFound(p.group ?? '');
      return {
        status: 200,
        body: project(
          { id: group.id, displayName: group.displayName },
          req.query.$select,
          'microsoft.graph.group',
          ['id', 'displayName'],
          ['id', 'displayName'],
        ),
      };
    }),
    route('GET', 'groups/:group/members', P.checkMemberGroups.permission, (req, p) => {
      const group = tenant.groups.get(p.group ?? '');
      if (!group) throw notFound(p.group ?? '');
      const top = req.query.$top === undefined ? 100 : Number(req.query.$top);
      if (!Number.isInteger(top) || top < 1 || top > 999) throw badRequest('Invalid $top value.');
      return collection(
        [...group.members].slice(0, top).map((id) => {
          const user = tenant.users.get(id);
          return user
            ? selectUser(user, { $select: req.query.$select ?? 'id,displayName' }, true)
            : { '@odata.type': '#microsoft.graph.group', id };
        }),
      );
    }),
    route(
      'GET',
      'roleManagement/directory/roleAssignments',
      P.listActiveRoles.permission,
      (req) => {
        const filter = req.query.$filter;
        let principal: string | undefined;
        if (filter !== undefined) {
          const m = /^\s*principalId\s+eq\s+'([^']*)'\s*$/i.exec(filter);
          if (!m) throw badRequest(`Invalid filter clause: '${filter}' is not supported.`);
          principal = m[1];
        }
        return collection(
          tenant.roleAssignments
            .filter((r) => principal === undefined || r.principalId === principal)
            .map((r) => ({ ...r })),
        );
      },
    ),
    route('GET', 'users/:user/authentication/methods', P.listAuthMethods.permission, (_req, p) =>
      collection(methodsOf(findUser(p.user ?? '')).map(methodJson)),
    ),
    route(
      'GET',
      'users/:user/authentication/microsoftAuthenticatorMethods',
      P.listAuthMethods.permission,
      (_req, p) =>
        collection(
          methodsOf(findUser(p.user ?? ''))
            .filter((m) => m.type === 'microsoftAuthenticator')
            .map(methodJson),
        ),
    ),
    route(
      'GET',
      'users/:user/authentication/microsoftAuthenticatorMethods/:method',
      P.listAuthMethods.permission,
      (_req, p) => {
        const found = methodsOf(findUser(p.user ?? '')).find(
          (m) => m.type === 'microsoftAuthenticator' && m.id === p.method,
        );
        if (!found) throw notFound(p.method ?? '');
        return { status: 200, body: methodJson(found) };
      },
    ),
    route(
      'DELETE',
      'users/:user/authentication/microsoftAuthenticatorMethods/:method',
      P.deleteAuthenticator.permission,
      (_req, p) => deleteMethod(findUser(p.user ?? ''), 'microsoftAuthenticator', p.method ?? ''),
    ),
    route(
      'GET',
      'users/:user/authentication/temporaryAccessPassMethods',
      P.listTaps.permission,
      (_req, p) =>
        collection(
          methodsOf(findUser(p.user ?? ''))
            .filter((m) => m.type === 'temporaryAccessPass')
            .map(methodJson),
        ),
    ),
    route(
      'POST',
      'users/:user/authentication/temporaryAccessPassMethods',
      P.createTap.permission,
      (req, p) => createTap(findUser(p.user ?? ''), req.body),
    ),
    route(
      'GET',
      'users/:user/authentication/temporaryAccessPassMethods/:tap',
      P.listTaps.permission,
      (_req, p) => {
        const found = methodsOf(findUser(p.user ?? '')).find(
          (m) => m.type === 'temporaryAccessPass' && m.id === p.tap,
        );
        if (!found) throw notFound(p.tap ?? '');
        return { status: 200, body: methodJson(found) };
      },
    ),
    route(
      'DELETE',
      'users/:user/authentication/temporaryAccessPassMethods/:tap',
      P.deleteTap.permission,
      (_req, p) => deleteMethod(findUser(p.user ?? ''), 'temporaryAccessPass', p.tap ?? ''),
    ),
    route(
      'GET',
      'policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass',
      P.readTapPolicy.permission,
      () => ({
        status: 200,
        body: {
          '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration',
          id: 'TemporaryAccessPass',
          ...structuredClone(tenant.tapPolicy),
          excludeTargets: [],
        },
      }),
    ),
    route('GET', 'identityProtection/riskyUsers/:user', P.readUserRisk.permission, (_req, p) => {
      const id = p.user ?? '';
      const risk = tenant.riskyUsers.get(id);
      const user = tenant.users.get(id);
      if (!risk || !user) throw notFound(id);
      return {
        status: 200,
        body: {
          id,
          isDeleted: false,
          isProcessing: false,
          ...risk,
          userDisplayName: user.displayName,
          userPrincipalName: user.userPrincipalName,
        },
      };
    }),
    route('GET', 'auditLogs/directoryAudits', P.readDirectoryAudits.permission, (req) => {
      const matches = tenant.directoryAudits
        .filter(auditFilter(req.query.$filter))
        .sort((a, b) => Date.parse(b.activityDateTime) - Date.parse(a.activityDateTime));
      const top =
        req.query.$top === undefined ? (options.auditPageSize ?? 100) : Number(req.query.$top);
      if (!Number.isInteger(top) || top < 1 || top > 1000) throw badRequest('Invalid $top value.');
      const skip = Number(req.query.$skiptoken ?? '0') || 0;
      const page = matches.slice(skip, skip + top);
      const body: Record<string, unknown> = { value: page.map(auditJson) };
      if (skip + top < matches.length) {
        const next = new URLSearchParams({ ...req.query, $skiptoken: String(skip + top) });
        body['@odata.nextLink'] =
          `${req.origin}/v1.0/auditLogs/directoryAudits?${next.toString().replace(/\+/g, '%20')}`;
      }
      return { status: 200, body };
    }),
    route('POST', 'users/:user/teamwork/installedApps', P.installApp.permission, (req, p) => {
      const user = findUser(p.user ?? '');
      const body = installSchema.safeParse(req.body);
      if (!body.success) throw badRequest('teamsApp@odata.bind is required.');
      const appId = /\/appCatalogs\/teamsApps\/([^/?]+)$/i.exec(
        body.data['teamsApp@odata.bind'],
      )?.[1];
      if (!appId || !tenant.teamsApps.has(appId)) {
        throw new GraphFailure(
          404,
          'NotFound',
          `The app '${appId ?? ''}' is not in the app catalog.`,
        );
      }
      const installed = tenant.installedApps.get(user.id) ?? [];
      if (installed.some((i) => i.teamsAppId === appId)) {
        throw new GraphFailure(409, 'Conflict', 'App is already installed for this user.');
      }
      installed.push({
        id: Buffer.from(`${user.id}##${appId}`).toString('base64url'),
        teamsAppId: appId,
        chatId: `19:${user.id}_${appId}@unq.gbl.spaces`,
      });
      tenant.installedApps.set(user.id, installed);
      return { status: 201 };
    }),
    route('GET', 'users/:user/teamwork/installedApps', P.readAppChat.permission, (req, p) => {
      const user = findUser(p.user ?? '');
      const filter = req.query.$filter;
      let appId: string | undefined;
      if (filter !== undefined) {
        const m = /^\s*teamsApp\/id\s+eq\s+'([^']*)'\s*$/i.exec(filter);
        if (!m) throw badRequest(`Invalid filter clause: '${filter}' is not supported.`);
        appId = m[1];
      }
      const expand = (req.query.$expand ?? '').split(',').map((s) => s.trim());
      return collection(
        (tenant.installedApps.get(user.id) ?? [])
          .filter((i) => appId === undefined || i.teamsAppId === appId)
          .map((i) => ({
            id: i.id,
            ...(expand.includes('teamsApp')
              ? {
                  teamsApp: {
                    id: i.teamsAppId,
                    externalId: i.teamsAppId,
                    displayName: 'TapDesk',
                    distributionMethod: 'organization',
                  },
                }
              : {}),
          })),
      );
    }),
    route(
      'GET',
      'users/:user/teamwork/installedApps/:installation/chat',
      P.readAppChat.permission,
      (_req, p) => {
        const user = findUser(p.user ?? '');
        const installation = installationFor(user, p.installation ?? '');
        return {
          status: 200,
          body: {
            id: installation.chatId,
            topic: null,
            chatType: 'oneOnOne',
            createdDateTime: now().toISOString(),
            tenantId: tenant.organization.id,
          },
        };
      },
    ),
  ];

  // --- request pipeline ------------------------------------------------------------------------

  const failureReply = (failure: GraphFailure, headers: Record<string, string>): Reply => ({
    status: failure.status,
    headers: failure.headers,
    body: {
      error: {
        code: failure.code,
        message: failure.message,
        innerError: {
          date: now()
            .toISOString()
            .replace(/\.\d{3}Z$/, ''),
          'request-id': randomUUID(),
          'client-request-id': headers['client-request-id'] ?? randomUUID(),
        },
      },
    },
  });

  const takeFault = (method: string, path: string): Fault | undefined => {
    const fault = faults.find(
      (f) =>
        f.remaining > 0 &&
        (f.method === undefined || f.method.toUpperCase() === method) &&
        f.path.test(path),
    );
    if (fault) fault.remaining -= 1;
    faults = faults.filter((f) => f.remaining > 0);
    return fault;
  };

  /** One Graph request, direct or from a batch. */
  const dispatch = async (request: Request, viaBatch: boolean): Promise<Reply> => {
    const delay = latencies.find((l) => l.path === undefined || l.path.test(request.path));
    if (delay) await sleep(delay.ms);
    let reply: Reply;
    try {
      reply = await answer(request);
    } catch (error) {
      const failure =
        error instanceof GraphFailure
          ? error
          : new GraphFailure(500, 'generalException', 'General exception while processing.');
      reply = failureReply(failure, request.headers);
    }
    calls.push({
      method: request.method,
      path: request.path,
      query: request.query,
      body: request.body,
      status: reply.status,
      viaBatch,
    });
    return reply;
  };

  const answer = async (request: Request): Promise<Reply> => {
    const fault = takeFault(request.method, request.path);
    if (fault) {
      const { code, message } = FAULT_ERRORS[fault.status];
      throw new GraphFailure(
        fault.status,
        code,
        message,
        fault.retryAfterSeconds === undefined
          ? {}
          : { 'Retry-After': String(fault.retryAfterSeconds) },
      );
    }
    if (request.segments.length === 1 && request.segments[0] === '$batch') {
      if (request.method !== 'POST') throw badRequest('$batch accepts POST only.');
      return batch(request);
    }
    const match = matchRoute(routes, request.method, request.segments);
    if (match === undefined) {
      throw badRequest(`Resource not found for the segment '${request.segments.at(-1) ?? ''}'.`);
    }
    if (match === 'wrong_method') {
      throw new GraphFailure(
        405,
        'Request_BadRequest',
        'Specified HTTP method is not allowed for the request target.',
      );
    }
    if (denied.has(match.route.permission)) {
      throw new GraphFailure(
        403,
        'Authorization_RequestDenied',
        'Insufficient privileges to complete the operation.',
      );
    }
    return match.route.handle(request, match.params);
  };

  const batch = async (request: Request): Promise<Reply> => {
    const parsed = batchSchema.safeParse(request.body);
    if (!parsed.success) throw badRequest('Invalid batch payload: a requests array is required.');
    const { requests } = parsed.data;
    if (requests.length > MAX_BATCH) {
      throw badRequest(`The number of requests in the batch exceeds the limit of ${MAX_BATCH}.`);
    }
    const ids = new Set(requests.map((r) => r.id.toLowerCase()));
    if (ids.size !== requests.length) throw badRequest('Batch request ids must be unique.');
    for (const sub of requests) {
      const hasContentType = Object.keys(sub.headers ?? {}).some(
        (h) => h.toLowerCase() === 'content-type',
      );
      if (sub.body !== undefined && !hasContentType) {
        throw badRequest(`Batch request '${sub.id}' has a body but no Content-Type header.`);
      }
    }
    const responses = await Promise.all(
      requests.map(async (sub) => {
        const url = parseGraphUrl(sub.url);
        if (!url) {
          return {
            id: sub.id,
            status: 400,
            headers: {},
            body: { error: { code: 'BadRequest', message: 'Invalid URL.' } },
          };
        }
        const reply = await dispatch(
          {
            method: sub.method.toUpperCase(),
            ...url,
            body: sub.body,
            headers: Object.fromEntries(
              Object.entries(sub.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
            ),
            origin: request.origin,
          },
          true,
        );
        return {
          id: sub.id,
          status: reply.status,
          headers: {
            ...(reply.body === undefined ? {} : { 'Content-Type': 'application/json' }),
            ...reply.headers,
          },
          ...(reply.body === undefined ? {} : { body: reply.body }),
        };
      }),
    );
    return { status: 200, body: { responses } };
  };

  // --- HTTP ------------------------------------------------------------------------------------

  const readBody = async (req: IncomingMessage): Promise<string | 'too_large'> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > MAX_BODY_BYTES) return 'too_large';
      chunks.push(buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  };

  const send = (res: ServerResponse, reply: Reply, clientRequestId: string): void => {
    const headers: Record<string, string> = {
      'request-id': randomUUID(),
      'client-request-id': clientRequestId,
      ...reply.headers,
    };
    // No chaining on writeHead: restify, loaded in the same process by tests and the demo,
    // replaces it with a version that does not return the response.
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    res.writeHead(reply.status, { ...headers, 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(reply.body));
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers[key] = value;
    }
    const clientRequestId = headers['client-request-id'] ?? randomUUID();
    const fail = (failure: GraphFailure) =>
      send(res, failureReply(failure, headers), clientRequestId);

    const url = parseGraphUrl(req.url ?? '/');
    if (!url || url.segments[0] !== 'v1.0') {
      fail(badRequest('Invalid version: use /v1.0.'));
      return;
    }
    const raw = await readBody(req);
    if (raw === 'too_large') {
      fail(new GraphFailure(413, 'RequestEntityTooLarge', 'The request body is too large.'));
      return;
    }
    let body: unknown;
    if (raw.trim() !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        fail(
          badRequest(
            'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
          ),
        );
        return;
      }
    }
    const segments = url.segments.slice(1);
    const reply = await dispatch(
      {
        method: (req.method ?? 'GET').toUpperCase(),
        path: `/${segments.join('/')}`,
        segments,
        query: url.query,
        body,
        headers,
        origin: `http://${headers.host ?? '127.0.0.1'}`,
      },
      false,
    );
    send(res, reply, clientRequestId);
  };

  const server = createServer((req, res) => {
    onRequest(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    callsTo: (method, path) =>
      calls.filter((c) => c.method === method.toUpperCase() && path.test(c.path)),
    issuedPasses,
    tenant,
    inject: (fault) => {
      faults.push({ ...fault, remaining: fault.times ?? 1 });
    },
    setLatency: (ms, path) => {
      latencies = latencies.filter((l) => l.path?.source !== path?.source);
      if (ms > 0) latencies.push(path === undefined ? { ms } : { ms, path });
    },
    denyPermission: (permission) => {
      denied.add(permission);
    },
    grantPermission: (permission) => {
      denied.delete(permission);
    },
    reset: () => {
      faults = [];
      latencies = [];
      denied.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
