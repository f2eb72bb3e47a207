/**
 * One harmless Graph read per application permission TapDesk needs, for `npm run doctor`: the
 * same calls the {@link GraphDirectory} adapter makes, sent once through the Graph client without
 * retries. Graph answers 403 when the permission is missing. A read cannot prove a *write*
 * permission, so the access token's `roles` claim is decoded too when there is a credential.
 */
import type { TokenCredential } from '@azure/identity';
import { Client, HTTPMessageHandler, ResponseType } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { GRAPH_PERMISSIONS, type GraphOperationName } from './permissions.js';

/** A permission in {@link GRAPH_PERMISSIONS}. */
export type RequiredPermission = (typeof GRAPH_PERMISSIONS)[number];

/** How one call went: Graph answered with a status, or did not answer at all. */
export type GraphAnswer =
  | { kind: 'answered'; status: number; body: unknown; errorCode: string | undefined }
  | { kind: 'unreachable'; reason: string };

/** What a probe says about one permission. */
export type ProbeVerdict =
  { kind: 'allowed' } | { kind: 'denied' } | { kind: 'unknown'; reason: string };

/** Whom the probes read about. */
export interface ProbeSubjects {
  /**
   * A user to read. One that does not exist still works: Graph checks the permission first and
   * answers 404 only when the read was allowed.
   */
  userId: string;
  /** The helpdesk group, for the membership check. */
  groupId: string;
  /** Narrows the installed-apps read to TapDesk when set. */
  teamsAppId: string | undefined;
}

/** One Graph call that proves a permission. */
export interface ProbeCall {
  /** The adapter operation whose call this is (names the purpose in {@link GRAPH_OPERATIONS}). */
  operation: GraphOperationName;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

const quote = (value: string): string => `'${value.replace(/'/g, "''")}'`;
const user = (id: string): string => `/users/${encodeURIComponent(id)}`;

/** The read that proves each permission, built for the given subjects. */
export const PERMISSION_PROBES: Record<RequiredPermission, (subjects: ProbeSubjects) => ProbeCall> =
  {
    'User.Read.All': ({ userId }) => ({
      operation: 'readUser',
      method: 'GET',
      path: `${user(userId)}?$select=id`,
    }),
    'GroupMember.Read.All': ({ userId, groupId }) => ({
      operation: 'checkMemberGroups',
      method: 'POST',
      path: `${user(userId)}/checkMemberGroups`,
      body: { groupIds: [groupId] },
    }),
    'RoleManagement.Read.Directory': ({ userId }) => ({
      operation: 'listActiveRoles',
      method: 'GET',
      path: `/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(`principalId eq ${quote(userId)}`)}`,
    }),
    'UserAuthenticationMethod.ReadWrite.All': ({ userId }) => ({
      operation: 'listAuthMethods',
      method: 'GET',
      path: `${user(userId)}/authentication/methods`,
    }),
    'Policy.Read.All': () => ({
      operation: 'readTapPolicy',
      method: 'GET',
      path: '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass',
    }),
    'AuditLog.Read.All': () => ({
      operation: 'readDirectoryAudits',
      method: 'GET',
      path: '/auditLogs/directoryAudits?$top=1',
    }),
    'IdentityRiskyUser.Read.All': ({ userId }) => ({
      operation: 'readUserRisk',
      method: 'GET',
      path: `/identityProtection/riskyUsers/${encodeURIComponent(userId)}`,
    }),
    'TeamsAppInstallation.ReadWriteSelfForUser.All': ({ userId, teamsAppId }) => ({
      operation: 'readAppChat',
      method: 'GET',
      path:
        `${user(userId)}/teamwork/installedApps` +
        (teamsAppId
          ? `?$expand=teamsApp&$filter=${encodeURIComponent(`teamsApp/id eq ${quote(teamsAppId)}`)}`
          : ''),
    }),
  };

/** The probe's reading of Graph's answer: 403 is a missing permission, 404 an allowed read. */
export function verdictOf(answer: GraphAnswer): ProbeVerdict {
  if (answer.kind === 'unreachable') return { kind: 'unknown', reason: answer.reason };
  const { status, errorCode } = answer;
  if ((status >= 200 && status < 300) || status === 404) return { kind: 'allowed' };
  if (status === 403) return { kind: 'denied' };
  if (status === 401) {
    return { kind: 'unknown', reason: "Graph did not accept TapDesk's credentials (HTTP 401)" };
  }
  if (status === 429)
    return { kind: 'unknown', reason: 'Graph is throttling; try again in a minute' };
  return {
    kind: 'unknown',
    reason: `Graph answered HTTP ${status}${errorCode ? ` ${errorCode}` : ''}`,
  };
}

const errorSchema = z.object({ error: z.object({ code: z.string().optional() }) });

/** Where Graph is and how to reach it. */
export interface GraphProbeOptions {
  /** Graph root without the version, as `GRAPH_BASE_URL`. */
  baseUrl: string;
  /** A Graph access token; absent in local mode against the emulator. Never logged. */
  accessToken?: string;
  /** Default 10 000: a call that takes longer is reported as unanswered. */
  timeoutMs?: number;
}

/** Sends single Graph calls and reports any status, without retrying. */
export class GraphProbe {
  private readonly client: Client;
  private readonly accessToken: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: GraphProbeOptions) {
    this.accessToken = options.accessToken;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    // No retry handler: a throttled or failing probe is reported, not waited out.
    this.client = Client.initWithMiddleware({
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      defaultVersion: 'v1.0',
      middleware: new HTTPMessageHandler(),
    });
  }

  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<GraphAnswer> {
    let raw: unknown;
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      let request = this.client.api(path).responseType(ResponseType.RAW).option('signal', signal);
      if (this.accessToken) request = request.header('Authorization', `Bearer ${this.accessToken}`);
      raw = method === 'GET' ? await request.get() : await request.post(body);
    } catch (error) {
      // The client rewraps fetch errors, so the signal is what tells a timeout apart.
      return {
        kind: 'unreachable',
        reason: signal.aborted
          ? `Graph did not answer within ${this.timeoutMs / 1000} s`
          : `Graph could not be reached (${error instanceof Error ? error.message : String(error)})`,
      };
    }
    if (!(raw instanceof Response)) return { kind: 'unreachable', reason: 'no HTTP response' };
    const text = await raw.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text.trim() === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const error = errorSchema.safeParse(parsed);
    return {
      kind: 'answered',
      status: raw.status,
      body: parsed,
      errorCode: error.success ? error.data.error.code : undefined,
    };
  }

  /** Runs the probe for one permission. */
  async probe(permission: RequiredPermission, subjects: ProbeSubjects): Promise<ProbeVerdict> {
    const { method, path, body } = PERMISSION_PROBES[permission](subjects);
    return verdictOf(await this.call(method, path, body));
  }
}

/** The token audience for a Graph root: Graph's own hosts name themselves, others mean Graph. */
export function graphScope(baseUrl: string): string {
  const url = new URL(baseUrl);
  return /^(?:[\w-]+\.)?(?:dod-)?graph\.microsoft\.(?:com|us|de)$|^microsoftgraph\.chinacloudapi\.cn$/i.test(
    url.hostname,
  )
    ? `${url.origin}/.default`
    : 'https://graph.microsoft.com/.default';
}

const claimsSchema = z.looseObject({
  roles: z.array(z.string()).optional(),
  appid: z.string().optional(),
  azp: z.string().optional(),
});

/**
 * The application permissions an access token carries (its `roles` claim; none when absent), and
 * the app it was issued to. Undefined when the token is not a readable JWT. Not verified: the
 * token came straight from Entra ID and is only read here.
 */
export function tokenClaims(
  token: string,
): { roles: string[]; appId: string | undefined } | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = claimsSchema.safeParse(
      JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')),
    );
    if (!claims.success) return undefined;
    return { roles: claims.data.roles ?? [], appId: claims.data.appid ?? claims.data.azp };
  } catch {
    return undefined;
  }
}

/** A Graph token from the credential, or why there is none. The message never holds the token. */
export async function acquireGraphToken(
  credential: TokenCredential,
  baseUrl: string,
  timeoutMs = 20_000,
): Promise<{ ok: true; token: string } | { ok: false; reason: string }> {
  try {
    const token = await credential.getToken(graphScope(baseUrl), {
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
    return token ? { ok: true, token: token.token } : { ok: false, reason: 'no token was issued' };
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { ok: false, reason: message.split('\n')[0] ?? message };
  }
}
