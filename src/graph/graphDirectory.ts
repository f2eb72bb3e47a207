/**
 * The {@link Directory} port on Microsoft Graph: `@microsoft/microsoft-graph-client` with the
 * client's own retry middleware, credentials from `@azure/identity`, every response parsed with
 * zod, and every failure turned into a {@link DirectoryError} an operator can act on.
 */
import {
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import {
  AuthenticationHandler,
  Client,
  HTTPMessageHandler,
  RedirectHandler,
  ResponseType,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
  type Context,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import {
  DirectoryError,
  type AuthMethod,
  type AuthMethodType,
  type Directory,
  type DirectoryAuditEntry,
  type DirectoryUser,
  type ExistingTap,
  type IssuedTap,
  type TapOptions,
  type TapPolicy,
  type UserProfile,
  type UserRisk,
} from '../ports.js';
import {
  GRAPH_OPERATIONS,
  missingPermissionMessage,
  type GraphOperationName,
} from './permissions.js';

/** Retry bounds for throttling (429) and transient failures (503, 504). */
export interface GraphRetryOptions {
  /** Default 3; at most 10. */
  maxRetries?: number;
  /**
   * Default 30. The longest single wait; a `Retry-After` longer than this is not waited for and
   * the call fails as `throttled` instead.
   */
  maxDelaySeconds?: number;
  /** Default 3: the first back-off step when Graph gives no `Retry-After`. */
  baseDelaySeconds?: number;
}

/** Where Graph is, how to authenticate, where to log and how hard to retry. */
export interface GraphDirectoryOptions {
  /** Graph root without the version, e.g. `https://graph.microsoft.com` or the emulator's URL. */
  baseUrl: string;
  /** Absent only in local mode: requests then carry no Authorization header. */
  credential?: TokenCredential;
  logger: Logger;
  retry?: GraphRetryOptions;
  /** Each attempt of a call gives up after this long (default 15 s), so a hung Graph fails. */
  timeoutMs?: number;
}

/**
 * Gives every attempt (each retry included) its own deadline. A call that outlives it fails as
 * "Graph could not be reached", which callers already turn into "try again".
 */
class TimeoutHandler implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly timeoutMs: number) {}

  async execute(context: Context): Promise<void> {
    context.options = { ...context.options, signal: AbortSignal.timeout(this.timeoutMs) };
    await this.next?.execute(context);
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

/** Graph app credentials as configured; see {@link createGraphCredential}. */
export interface GraphCredentialConfig {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  certificatePath?: string;
}

/**
 * A certificate or a client secret when configured (certificate first: it is the stronger
 * credential), else a managed identity (user-assigned when `clientId` is set).
 */
export function createGraphCredential(config: GraphCredentialConfig): TokenCredential {
  const { tenantId, clientId, clientSecret, certificatePath } = config;
  if (tenantId && clientId && certificatePath) {
    return new ClientCertificateCredential(tenantId, clientId, certificatePath);
  }
  if (tenantId && clientId && clientSecret) {
    return new ClientSecretCredential(tenantId, clientId, clientSecret);
  }
  return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
}

// ---------------------------------------------------------------------------------------------
// Wire schemas (only what TapDesk reads; Graph adds more and that is fine)

const USER_SELECT = [
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
].join(',');

const nullableString = z
  .string()
  .nullish()
  .transform((v) => v ?? null);

const userSchema = z
  .object({
    '@odata.type': z.string().optional(),
    id: z.string(),
    displayName: z
      .string()
      .nullish()
      .transform((v) => v ?? ''),
    userPrincipalName: z.string(),
    // Missing means we cannot tell, and an account we cannot tell about is not served.
    accountEnabled: z
      .boolean()
      .nullish()
      .transform((v) => v ?? false),
    // Graph leaves userType null on some old synced members.
    userType: z
      .string()
      .nullish()
      .transform((v) => v ?? 'Member'),
    mobilePhone: nullableString,
    businessPhones: z
      .array(z.string())
      .nullish()
      .transform((v) => v ?? []),
    department: nullableString,
    jobTitle: nullableString,
    createdDateTime: nullableString,
  })
  .transform(({ '@odata.type': _type, ...user }): DirectoryUser => user);

const methodSchema = z.looseObject({
  '@odata.type': z.string(),
  id: z.string(),
  displayName: nullableString,
  createdDateTime: nullableString,
  phoneNumber: nullableString,
  phoneType: nullableString,
  model: nullableString,
  emailAddress: nullableString,
});

const roleAssignmentSchema = z.object({ roleDefinitionId: z.string() });

const tapPolicySchema = z.object({
  state: z.string(),
  defaultLifetimeInMinutes: z.number(),
  minimumLifetimeInMinutes: z.number(),
  maximumLifetimeInMinutes: z.number(),
  isUsableOnce: z
    .boolean()
    .nullish()
    .transform((v) => v ?? false),
  includeTargets: z.array(z.object({ id: z.string() })).optional(),
});

const issuedTapSchema = z.object({
  id: z.string(),
  temporaryAccessPass: z.string().min(1),
  startDateTime: z.string(),
  lifetimeInMinutes: z.number(),
  isUsableOnce: z.boolean(),
});

const existingTapSchema = z.object({
  id: z.string(),
  startDateTime: z.string(),
  lifetimeInMinutes: z.number(),
  isUsable: z
    .boolean()
    .nullish()
    .transform((v) => v ?? false),
});

const auditSchema = z.object({
  activityDisplayName: z.string(),
  activityDateTime: z.string(),
  targetResources: z
    .array(
      z.object({
        modifiedProperties: z
          .array(z.object({ displayName: nullableString }))
          .nullish()
          .transform((v) => v ?? []),
      }),
    )
    .nullish()
    .transform((v) => v ?? []),
});

const riskSchema = z.object({ riskLevel: z.string(), riskState: z.string() });
const stringListSchema = z.object({ value: z.array(z.string()) });
const idSchema = z.object({ id: z.string() });

const pageSchema = z.object({
  value: z.array(z.unknown()),
  '@odata.nextLink': z.string().optional(),
});

const graphErrorSchema = z.object({
  error: z.object({
    code: z.string().optional(),
    message: z.string().optional(),
  }),
});

const batchResponseSchema = z.object({
  responses: z.array(
    z.object({
      id: z.string(),
      status: z.number(),
      headers: z.record(z.string(), z.string()).nullish(),
      body: z.unknown().optional(),
    }),
  ),
});

// ---------------------------------------------------------------------------------------------
// Pure helpers

/**
 * `+1 425 555 0142` → `+1 425 *** **42`: enough for a person to recognise their number, not
 * enough to call it. The country code and the next three digits stay, and the last two.
 */
export function maskPhoneNumber(phone: string): string {
  const trimmed = phone.trim();
  const country = /^\+\d+\s/.exec(trimmed)?.[0] ?? '';
  const rest = trimmed.slice(country.length);
  const digits = rest.replace(/\D/g, '').length;
  const keepStart = digits > 6 ? 3 : 0;
  let seen = 0;
  const masked = rest.replace(/\d/g, (d) => {
    seen += 1;
    return seen <= keepStart || seen > digits - 2 ? d : '*';
  });
  return country + masked;
}

function maskEmail(email: string): string {
  const at = email.indexOf('@');
  return at <= 0 ? email : `${email[0] ?? ''}***${email.slice(at)}`;
}

const METHOD_TYPES: Record<string, AuthMethodType> = {
  password: 'password',
  microsoftAuthenticator: 'microsoftAuthenticator',
  phone: 'phone',
  fido2: 'fido2',
  softwareOath: 'softwareOath',
  temporaryAccessPass: 'temporaryAccessPass',
  email: 'email',
  windowsHelloForBusiness: 'windowsHelloForBusiness',
  platformCredential: 'platformCredential',
};

function toAuthMethod(method: z.infer<typeof methodSchema>): AuthMethod {
  const name = /^#?microsoft\.graph\.(\w+)AuthenticationMethod$/.exec(method['@odata.type'])?.[1];
  const type = (name && METHOD_TYPES[name]) || 'other';
  let label: string | null = null;
  switch (type) {
    case 'phone':
      label = method.phoneNumber ? maskPhoneNumber(method.phoneNumber) : null;
      break;
    case 'fido2':
      label =
        method.displayName && method.model
          ? `${method.displayName} (${method.model})`
          : (method.displayName ?? method.model);
      break;
    case 'email':
      label = method.emailAddress ? maskEmail(method.emailAddress) : null;
      break;
    case 'microsoftAuthenticator':
    case 'windowsHelloForBusiness':
    case 'platformCredential':
      label = method.displayName;
      break;
    default:
      label = null;
  }
  return { id: method.id, type, label, createdAt: method.createdDateTime };
}

/** OData string literal: a quote is written twice. */
const odataString = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** Seconds from a `Retry-After` header (seconds or an HTTP date); undefined when absent. */
function retryAfterSeconds(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (!Number.isNaN(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

function headerValue(headers: Record<string, string> | null | undefined, name: string) {
  const key = Object.keys(headers ?? {}).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers?.[key];
}

const sleep = (seconds: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/** Hosts the Graph client already trusts with a token; anything else is a custom host. */
const GRAPH_HOSTS = new Set([
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'graph.microsoft.de',
  'microsoftgraph.chinacloudapi.cn',
  'canary.graph.microsoft.com',
]);

const CREDENTIAL_ERRORS = new Set([
  'CredentialUnavailableError',
  'AuthenticationError',
  'AggregateAuthenticationError',
  'AuthenticationRequiredError',
]);

const RETRYABLE = new Set([429, 503, 504]);
const MAX_PAGES = 50;

interface GraphReply {
  status: number;
  body: unknown;
}

interface BatchItem {
  id: string;
  operation: GraphOperationName;
  method: 'GET' | 'POST';
  url: string;
  body?: unknown;
}

// ---------------------------------------------------------------------------------------------

/** The directory as Microsoft Graph sees it. */
export class GraphDirectory implements Directory {
  private readonly client: Client;
  private readonly root: string;
  private readonly logger: Logger;
  private readonly maxRetries: number;
  private readonly maxDelaySeconds: number;
  private readonly baseDelaySeconds: number;

  constructor(options: GraphDirectoryOptions) {
    this.root = options.baseUrl.replace(/\/+$/, '');
    this.logger = options.logger;
    this.maxRetries = Math.min(10, Math.max(0, options.retry?.maxRetries ?? 3));
    this.maxDelaySeconds = Math.min(180, Math.max(0, options.retry?.maxDelaySeconds ?? 30));
    this.baseDelaySeconds = Math.min(
      this.maxDelaySeconds,
      Math.max(0, options.retry?.baseDelaySeconds ?? 3),
    );

    const retryOptions = new RetryHandlerOptions(
      this.baseDelaySeconds,
      this.maxRetries,
      (_delay, attempt, _request, _options, response) => {
        const wait = retryAfterSeconds(response.headers.get('Retry-After'));
        // Waiting less than Graph asked only earns another 429; give up instead.
        if (wait !== undefined && wait > this.maxDelaySeconds) return false;
        this.logger.warn(
          { status: response.status, attempt: attempt + 1, retryAfterSeconds: wait },
          'Microsoft Graph asked TapDesk to retry',
        );
        return true;
      },
    );
    // The handler copies the options' own properties, so the cap must be one.
    retryOptions.getMaxDelay = () => this.maxDelaySeconds;

    const host = new URL(this.root).hostname.toLowerCase();
    const middleware: Middleware[] = [];
    if (options.credential) {
      const scope = GRAPH_HOSTS.has(host)
        ? `${new URL(this.root).origin}/.default`
        : 'https://graph.microsoft.com/.default';
      middleware.push(
        new AuthenticationHandler(
          new TokenCredentialAuthenticationProvider(options.credential, { scopes: [scope] }),
        ),
      );
    }
    middleware.push(
      new RetryHandler(retryOptions),
      new RedirectHandler(),
      new TelemetryHandler(),
      new TimeoutHandler(options.timeoutMs ?? 15_000),
      new HTTPMessageHandler(),
    );
    this.client = Client.initWithMiddleware({
      baseUrl: this.root,
      defaultVersion: 'v1.0',
      middleware,
      // The client only sends tokens to Graph hosts it knows, unless told about others.
      ...(GRAPH_HOSTS.has(host) ? {} : { customHosts: new Set([host]) }),
    });
  }

  // --- port ------------------------------------------------------------------------------------

  async ping(): Promise<void> {
    const reply = await this.send('ping', 'GET', '/organization?$select=id');
    // A refusal still proves Graph answered an authenticated call, which is all readiness needs.
    if (reply.status === 403) {
      this.logger.debug('Graph answered the readiness ping with 403; reachable and authenticated');
      return;
    }
    this.check('ping', reply);
  }

  async getUser(userId: string): Promise<DirectoryUser | undefined> {
    const reply = await this.send(
      'readUser',
      'GET',
      `${this.userPath(userId)}?$select=${USER_SELECT}`,
    );
    if (reply.status === 404) return undefined;
    return this.parse('readUser', userSchema, this.check('readUser', reply));
  }

  async getManager(userId: string): Promise<DirectoryUser | undefined> {
    const reply = await this.send(
      'readManager',
      'GET',
      `${this.userPath(userId)}/manager?$select=${USER_SELECT}`,
    );
    if (reply.status === 404) return undefined;
    return this.parse('readManager', userSchema, this.check('readManager', reply));
  }

  async getDirectReports(userId: string): Promise<DirectoryUser[]> {
    const items = await this.list(
      'readDirectReports',
      `${this.userPath(userId)}/directReports?$select=${USER_SELECT}`,
    );
    // Direct reports may include org contacts, which are not people TapDesk serves.
    return this.parseItems('readDirectReports', userSchema, items, (item) => {
      const type = z.object({ '@odata.type': z.string().optional() }).safeParse(item);
      return (
        !type.success ||
        (type.data['@odata.type'] ?? '#microsoft.graph.user') === '#microsoft.graph.user'
      );
    });
  }

  async checkMemberGroups(userId: string, groupIds: string[]): Promise<string[]> {
    const member: string[] = [];
    // Graph checks at most 20 groups per call.
    for (let i = 0; i < groupIds.length; i += 20) {
      const reply = await this.send(
        'checkMemberGroups',
        'POST',
        `${this.userPath(userId)}/checkMemberGroups`,
        {
          groupIds: groupIds.slice(i, i + 20),
        },
      );
      member.push(
        ...this.parse('checkMemberGroups', stringListSchema, this.check('checkMemberGroups', reply))
          .value,
      );
    }
    return member;
  }

  async listActiveRoles(userId: string): Promise<string[]> {
    const items = await this.list('listActiveRoles', this.rolesPath(userId));
    return distinctRoles(this.parseItems('listActiveRoles', roleAssignmentSchema, items));
  }

  async getProfile(userId: string, groupIds: string[]): Promise<UserProfile | undefined> {
    const user = this.userPath(userId);
    const items: BatchItem[] = [
      { id: 'user', operation: 'readUser', method: 'GET', url: `${user}?$select=${USER_SELECT}` },
      {
        id: 'manager',
        operation: 'readManager',
        method: 'GET',
        url: `${user}/manager?$select=${USER_SELECT}`,
      },
      {
        id: 'methods',
        operation: 'listAuthMethods',
        method: 'GET',
        url: `${user}/authentication/methods`,
      },
      { id: 'roles', operation: 'listActiveRoles', method: 'GET', url: this.rolesPath(userId) },
    ];
    if (groupIds.length > 0) {
      items.push({
        id: 'groups',
        operation: 'checkMemberGroups',
        method: 'POST',
        url: `${user}/checkMemberGroups`,
        body: { groupIds: groupIds.slice(0, 20) },
      });
    }
    const replies = await this.batch(items);
    const reply = (id: string): GraphReply => replies.get(id) ?? { status: 500, body: undefined };

    const userReply = reply('user');
    if (userReply.status === 404) return undefined;
    const profileUser = this.parse('readUser', userSchema, this.check('readUser', userReply));

    const managerReply = reply('manager');
    const manager =
      managerReply.status === 404
        ? null
        : this.parse('readManager', userSchema, this.check('readManager', managerReply));

    const methods = this.parseItems(
      'listAuthMethods',
      methodSchema,
      await this.restOfPages('listAuthMethods', this.check('listAuthMethods', reply('methods'))),
    ).map(toAuthMethod);

    const roles = this.parseItems(
      'listActiveRoles',
      roleAssignmentSchema,
      await this.restOfPages('listActiveRoles', this.check('listActiveRoles', reply('roles'))),
    );

    let memberOf: string[] = [];
    if (groupIds.length > 0) {
      memberOf = this.parse(
        'checkMemberGroups',
        stringListSchema,
        this.check('checkMemberGroups', reply('groups')),
      ).value;
      if (groupIds.length > 20) {
        memberOf.push(...(await this.checkMemberGroups(userId, groupIds.slice(20))));
      }
    }
    return { user: profileUser, manager, methods, activeRoles: distinctRoles(roles), memberOf };
  }

  async listAuthMethods(userId: string): Promise<AuthMethod[]> {
    const items = await this.list(
      'listAuthMethods',
      `${this.userPath(userId)}/authentication/methods`,
    );
    return this.parseItems('listAuthMethods', methodSchema, items).map(toAuthMethod);
  }

  /** Already gone counts as done, so a replayed click does not fail. */
  async deleteAuthenticatorMethod(userId: string, methodId: string): Promise<void> {
    const reply = await this.send(
      'deleteAuthenticator',
      'DELETE',
      `${this.userPath(userId)}/authentication/microsoftAuthenticatorMethods/${encodeURIComponent(methodId)}`,
    );
    if (reply.status !== 404) this.check('deleteAuthenticator', reply);
  }

  async getTapPolicy(): Promise<TapPolicy> {
    const reply = await this.send(
      'readTapPolicy',
      'GET',
      '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass',
    );
    const policy = this.parse('readTapPolicy', tapPolicySchema, this.check('readTapPolicy', reply));
    return {
      enabled: policy.state === 'enabled',
      defaultLifetimeInMinutes: policy.defaultLifetimeInMinutes,
      minimumLifetimeInMinutes: policy.minimumLifetimeInMinutes,
      maximumLifetimeInMinutes: policy.maximumLifetimeInMinutes,
      isUsableOnce: policy.isUsableOnce,
      // Graph enforces the scope itself when a pass is created; without targets the read is
      // advisory, so it does not lock everyone out.
      includeTargets: policy.includeTargets?.map((t) => t.id) ?? ['all_users'],
    };
  }

  /** The response body holds the pass: it is parsed, returned, and never logged. */
  async createTap(userId: string, options: TapOptions): Promise<IssuedTap> {
    const reply = await this.send(
      'createTap',
      'POST',
      `${this.userPath(userId)}/authentication/temporaryAccessPassMethods`,
      {
        lifetimeInMinutes: options.lifetimeInMinutes,
        isUsableOnce: options.isUsableOnce,
        ...(options.startDateTime ? { startDateTime: options.startDateTime } : {}),
      },
    );
    const tap = this.parse('createTap', issuedTapSchema, this.check('createTap', reply));
    this.logger.info(
      { userId, tapId: tap.id, lifetimeInMinutes: tap.lifetimeInMinutes },
      'Temporary Access Pass created',
    );
    return tap;
  }

  async listTaps(userId: string): Promise<ExistingTap[]> {
    const items = await this.list(
      'listTaps',
      `${this.userPath(userId)}/authentication/temporaryAccessPassMethods`,
    );
    return this.parseItems('listTaps', existingTapSchema, items);
  }

  /** Already gone counts as done: the pass may have been replaced or deleted by an admin. */
  async deleteTap(userId: string, tapId: string): Promise<void> {
    const reply = await this.send(
      'deleteTap',
      'DELETE',
      `${this.userPath(userId)}/authentication/temporaryAccessPassMethods/${encodeURIComponent(tapId)}`,
    );
    if (reply.status !== 404) this.check('deleteTap', reply);
  }

  /**
   * `activity` is Graph's activity name, followed by the changed properties when Graph lists
   * them, e.g. `Update user (Mobile)`, so risk rules can tell a phone change from a rename.
   */
  async listDirectoryAuditsForUser(userId: string, since: string): Promise<DirectoryAuditEntry[]> {
    const filter =
      `targetResources/any(t:t/id eq ${odataString(userId)}) and ` +
      `activityDateTime ge ${new Date(since).toISOString()}`;
    const items = await this.list(
      'readDirectoryAudits',
      `/auditLogs/directoryAudits?$filter=${encodeURIComponent(filter)}`,
    );
    return this.parseItems('readDirectoryAudits', auditSchema, items)
      .map((entry) => {
        const changed = entry.targetResources
          .flatMap((t) => t.modifiedProperties.map((p) => p.displayName))
          .filter((name): name is string => Boolean(name));
        return {
          activity: changed.length
            ? `${entry.activityDisplayName} (${[...new Set(changed)].join(', ')})`
            : entry.activityDisplayName,
          at: entry.activityDateTime,
        };
      })
      .sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  }

  /** A user Entra ID Protection has no record of is not risky: `none`. */
  async getUserRisk(userId: string): Promise<UserRisk> {
    const reply = await this.send(
      'readUserRisk',
      'GET',
      `/identityProtection/riskyUsers/${encodeURIComponent(userId)}`,
    );
    if (reply.status === 404) return { level: 'none', state: 'none' };
    if (reply.status === 403) {
      this.logger.info(missingPermissionMessage('readUserRisk'));
      return 'unavailable';
    }
    const risk = this.parse('readUserRisk', riskSchema, this.check('readUserRisk', reply));
    return { level: risk.riskLevel, state: risk.riskState };
  }

  async installAppForUser(userId: string, teamsAppId: string): Promise<void> {
    const reply = await this.send(
      'installApp',
      'POST',
      `${this.userPath(userId)}/teamwork/installedApps`,
      {
        'teamsApp@odata.bind': `${this.root}/v1.0/appCatalogs/teamsApps/${encodeURIComponent(teamsAppId)}`,
      },
    );
    if (reply.status === 409) return;
    this.check('installApp', reply);
  }

  async getAppChatId(userId: string, teamsAppId: string): Promise<string | undefined> {
    const filter = encodeURIComponent(`teamsApp/id eq ${odataString(teamsAppId)}`);
    const reply = await this.send(
      'readAppChat',
      'GET',
      `${this.userPath(userId)}/teamwork/installedApps?$expand=teamsApp&$filter=${filter}`,
    );
    const installations = this.parseItems(
      'readAppChat',
      idSchema,
      this.parse('readAppChat', pageSchema, this.check('readAppChat', reply)).value,
    );
    const installation = installations[0];
    if (!installation) return undefined;
    const chat = await this.send(
      'readAppChat',
      'GET',
      `${this.userPath(userId)}/teamwork/installedApps/${encodeURIComponent(installation.id)}/chat`,
    );
    if (chat.status === 404) return undefined;
    return this.parse('readAppChat', idSchema, this.check('readAppChat', chat)).id;
  }

  // --- plumbing --------------------------------------------------------------------------------

  private userPath(userId: string): string {
    return `/users/${encodeURIComponent(userId)}`;
  }

  private rolesPath(userId: string): string {
    const filter = encodeURIComponent(`principalId eq ${odataString(userId)}`);
    return `/roleManagement/directory/roleAssignments?$filter=${filter}`;
  }

  /** One HTTP call through the middleware (retries included); any status comes back. */
  private async send(
    operation: GraphOperationName,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<GraphReply> {
    let raw: unknown;
    try {
      const request = this.client.api(path).responseType(ResponseType.RAW);
      raw =
        method === 'GET'
          ? await request.get()
          : method === 'POST'
            ? await request.post(body)
            : await request.delete();
    } catch (error) {
      throw this.transportError(operation, error);
    }
    if (!(raw instanceof Response)) {
      throw new DirectoryError('unavailable', this.shapeMessage(operation), 0);
    }
    const text = await raw.text().catch(() => '');
    let parsed: unknown;
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    return { status: raw.status, body: parsed };
  }

  private transportError(operation: GraphOperationName, error: unknown): DirectoryError {
    const code = z.object({ code: z.string() }).safeParse(error);
    const name = code.success ? code.data.code : error instanceof Error ? error.name : '';
    const { purpose } = GRAPH_OPERATIONS[operation];
    if (CREDENTIAL_ERRORS.has(name)) {
      this.logger.error(
        { operation, errorName: name },
        'Could not get a token for Microsoft Graph',
      );
      return new DirectoryError(
        'unauthorized',
        `TapDesk could not get a token for Microsoft Graph (needed to ${purpose}). ` +
          'Check AZURE_TENANT_ID, AZURE_CLIENT_ID and the client secret, certificate or managed identity.',
        401,
      );
    }
    this.logger.error({ operation, errorName: name }, 'Microsoft Graph could not be reached');
    return new DirectoryError(
      'unavailable',
      `Microsoft Graph could not be reached (needed to ${purpose}). Try again in a minute.`,
      0,
    );
  }

  /** The body of a 2xx reply; anything else becomes the matching {@link DirectoryError}. */
  private check(operation: GraphOperationName, reply: GraphReply): unknown {
    if (reply.status >= 200 && reply.status < 300) return reply.body;
    throw this.failure(operation, reply);
  }

  private failure(operation: GraphOperationName, reply: GraphReply): DirectoryError {
    const { status } = reply;
    const { permission, purpose } = GRAPH_OPERATIONS[operation];
    const graphError = graphErrorSchema.safeParse(reply.body);
    const code = graphError.success ? graphError.data.error.code : undefined;
    const message = graphError.success ? graphError.data.error.message : undefined;
    this.logger.warn({ operation, status, code }, 'Microsoft Graph refused a call');
    if (status === 401) {
      return new DirectoryError(
        'unauthorized',
        `Microsoft Graph did not accept TapDesk's credentials (needed to ${purpose}). ` +
          'Check AZURE_TENANT_ID, AZURE_CLIENT_ID and the client secret or certificate.',
        status,
      );
    }
    if (status === 403) {
      return new DirectoryError(
        'forbidden',
        missingPermissionMessage(operation),
        status,
        permission,
      );
    }
    if (status === 404) {
      return new DirectoryError(
        'not_found',
        `Microsoft Graph found no such object (needed to ${purpose}).`,
        status,
      );
    }
    if (status === 429) {
      return new DirectoryError(
        'throttled',
        `Microsoft Graph is throttling TapDesk (needed to ${purpose}). Try again in a minute.`,
        status,
      );
    }
    if (status >= 500 || status === 0) {
      return new DirectoryError(
        'unavailable',
        `Microsoft Graph is unavailable right now (HTTP ${status}, needed to ${purpose}). Try again in a minute.`,
        status,
      );
    }
    return new DirectoryError(
      'bad_request',
      `Microsoft Graph refused to ${purpose}: ${message ?? `HTTP ${status}`}`,
      status,
    );
  }

  private shapeMessage(operation: GraphOperationName): string {
    return `Microsoft Graph answered in an unexpected shape (needed to ${GRAPH_OPERATIONS[operation].purpose}).`;
  }

  /** Parses or fails with a message that never repeats the body (it may hold a pass). */
  private parse<T>(operation: GraphOperationName, schema: z.ZodType<T>, body: unknown): T {
    const result = schema.safeParse(body);
    if (!result.success) {
      this.logger.warn({ operation }, 'Microsoft Graph answered in an unexpected shape');
      throw new DirectoryError('unavailable', this.shapeMessage(operation), 200);
    }
    return result.data;
  }

  /** Items that do not parse are skipped and logged, so one odd entry does not hide the rest. */
  private parseItems<T>(
    operation: GraphOperationName,
    schema: z.ZodType<T>,
    items: unknown[],
    keep: (item: unknown) => boolean = () => true,
  ): T[] {
    const parsed: T[] = [];
    let skipped = 0;
    for (const item of items) {
      if (!keep(item)) continue;
      const result = schema.safeParse(item);
      if (result.success) parsed.push(result.data);
      else skipped += 1;
    }
    if (skipped > 0) this.logger.warn({ operation, skipped }, 'Skipped unreadable Graph items');
    return parsed;
  }

  /** Every item of a collection, following `@odata.nextLink` (bounded). */
  private async list(operation: GraphOperationName, path: string): Promise<unknown[]> {
    const reply = await this.send(operation, 'GET', path);
    return this.restOfPages(operation, this.check(operation, reply));
  }

  private async restOfPages(operation: GraphOperationName, firstPage: unknown): Promise<unknown[]> {
    let page = this.parse(operation, pageSchema, firstPage);
    const items = [...page.value];
    for (let pages = 1; page['@odata.nextLink'] && pages < MAX_PAGES; pages += 1) {
      const reply = await this.send(operation, 'GET', relativeLink(page['@odata.nextLink']));
      page = this.parse(operation, pageSchema, this.check(operation, reply));
      items.push(...page.value);
    }
    return items;
  }

  /**
   * One `$batch` call; sub-requests Graph throttled (429) or could not serve (503, 504) are sent
   * again, alone, within the same retry bounds as whole requests.
   */
  private async batch(items: BatchItem[]): Promise<Map<string, GraphReply>> {
    const replies = new Map<string, GraphReply>();
    // The batch as a whole is named after its first request (getProfile: reading the user).
    const operation = items[0]?.operation ?? 'readUser';
    let pending = items;
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      const reply = await this.send(operation, 'POST', '/$batch', {
        requests: pending.map((item) => ({
          id: item.id,
          method: item.method,
          url: item.url,
          ...(item.body === undefined
            ? {}
            : { body: item.body, headers: { 'Content-Type': 'application/json' } }),
        })),
      });
      const batch = this.parse(operation, batchResponseSchema, this.check(operation, reply));
      const retry: BatchItem[] = [];
      const waits: number[] = [];
      for (const response of batch.responses) {
        const item = pending.find((p) => p.id === response.id);
        if (!item) continue;
        replies.set(item.id, { status: response.status, body: response.body });
        if (RETRYABLE.has(response.status)) {
          retry.push(item);
          const wait = retryAfterSeconds(headerValue(response.headers, 'Retry-After'));
          if (wait !== undefined) waits.push(wait);
        }
      }
      const wait = waits.length
        ? Math.max(...waits)
        : Math.min(this.maxDelaySeconds, this.baseDelaySeconds * 2 ** attempt);
      if (retry.length === 0 || attempt >= this.maxRetries || wait > this.maxDelaySeconds) break;
      this.logger.warn(
        { requests: retry.map((r) => r.id), attempt: attempt + 1, waitSeconds: wait },
        'Microsoft Graph asked TapDesk to retry part of a batch',
      );
      await sleep(wait);
      pending = retry;
    }
    return replies;
  }
}

function distinctRoles(assignments: Array<{ roleDefinitionId: string }>): string[] {
  return [...new Set(assignments.map((a) => a.roleDefinitionId))];
}

/** A next link as a path the client resolves against the configured root. */
function relativeLink(link: string): string {
  const url = new URL(link);
  return url.pathname.replace(/^\/v1\.0(?=\/)/, '') + url.search;
}
