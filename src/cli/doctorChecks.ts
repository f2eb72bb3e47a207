/**
 * `npm run doctor`: checks a deployment before anyone relies on it. Validates the configuration,
 * then asks the configured Microsoft Graph whether each application permission is granted (one
 * harmless read per permission, and the access token's `roles` claim when there is a
 * credential), whether the configured groups exist, and whether the Teams ids look right.
 */
import type { TokenCredential } from '@azure/identity';
import { z } from 'zod';
import { loadConfig, usesLocalGraph, type Config, type Env } from '../config.js';
import { createGraphCredential } from '../graph/graphDirectory.js';
import {
  GraphProbe,
  acquireGraphToken,
  tokenClaims,
  type ProbeVerdict,
  type RequiredPermission,
} from '../graph/permissionProbe.js';
import { GRAPH_OPERATIONS, GRAPH_PERMISSIONS } from '../graph/permissions.js';

/**
 * `ok`; `MISSING` a Graph permission; `FAIL` anything else wrong; `?` could not tell;
 * `note` information only.
 */
export type DoctorMark = 'ok' | 'MISSING' | 'FAIL' | '?' | 'note';

/** One line of the report. */
export interface DoctorLine {
  mark: DoctorMark;
  text: string;
  /** False for optional features and notes: they never fail the doctor. */
  required: boolean;
}

/** Every line, and whether everything required is ok (the exit code). */
export interface DoctorReport {
  lines: DoctorLine[];
  ok: boolean;
}

/** What the doctor checks and with what. */
export interface DoctorOptions {
  env: Env;
  /**
   * The Graph credential. Default: the one the configuration names (none in local mode against
   * an `http://` Graph). `null` forces none.
   */
  credential?: TokenCredential | null;
  /** Per Graph call; default 10 000. */
  timeoutMs?: number;
}

/** Permissions TapDesk works without: without this one a user's risk reads as unavailable. */
export const OPTIONAL_PERMISSIONS: ReadonlySet<RequiredPermission> = new Set([
  'IdentityRiskyUser.Read.All',
]);

/** How a missing permission is granted to an app registration (client secret or certificate). */
export const PERMISSION_FIX =
  'fix: an administrator grants it in Entra ID › App registrations › TapDesk › API permissions and grants admin consent';

/** Managed identities have no API permissions page: the app role is assigned to them directly. */
export const MANAGED_IDENTITY_FIX =
  'fix: an administrator assigns this Microsoft Graph app role to the managed identity (New-MgServicePrincipalAppRoleAssignment; see docs/deploy.md)';

/** Stands in for a real user when no helpdesk member can be read; Graph answers 404 for it. */
const NO_SUCH_USER = '00000000-0000-0000-0000-000000000000';
const TACV2_CHANNEL = /^19:[^\s]+@thread\.tacv2$/;

/** "needed to a, b and c", from every operation that needs the permission. */
export function neededFor(permission: RequiredPermission): string {
  const purposes = [
    ...new Set(
      Object.values(GRAPH_OPERATIONS)
        .filter((operation) => operation.permission === permission)
        .map((operation) => operation.purpose),
    ),
  ];
  const last = purposes.pop() ?? 'run TapDesk';
  return `needed to ${purposes.length ? `${purposes.join(', ')} and ${last}` : last}`;
}

const isWrite = (permission: string): boolean => /ReadWrite/.test(permission);

/** The report line for one permission, from the probe and (when known) the token's roles. */
export function permissionLine(
  permission: RequiredPermission,
  verdict: ProbeVerdict,
  roles: ReadonlySet<string> | undefined,
  fix: string = PERMISSION_FIX,
): DoctorLine {
  const required = !OPTIONAL_PERMISSIONS.has(permission);
  const name = required ? permission : `${permission} (optional)`;
  const missing = (why = ''): DoctorLine => ({
    mark: 'MISSING',
    text: `${name} — ${why}${neededFor(permission)}; ${fix}`,
    required,
  });
  if (verdict.kind === 'denied') return missing();
  if (verdict.kind === 'unknown') {
    return { mark: '?', text: `${name} — could not check: ${verdict.reason}`, required };
  }
  if (roles === undefined) {
    return {
      mark: 'ok',
      text: isWrite(permission) ? `${name} (read allowed; a read cannot prove write access)` : name,
      required,
    };
  }
  if (roles.has(permission)) return { mark: 'ok', text: name, required };
  // Graph allowed the read, so a broader permission covers reading; writing still needs this one.
  if (isWrite(permission)) {
    return missing(
      "the access token's roles claim does not include it (the read probe passed, so a read-only permission may be granted instead); ",
    );
  }
  return {
    mark: 'ok',
    text: `${name} (not in the token's roles claim, but Graph allowed the read: a broader permission covers it)`,
    required,
  };
}

const ok = (text: string): DoctorLine => ({ mark: 'ok', text, required: true });
const fail = (text: string): DoctorLine => ({ mark: 'FAIL', text, required: true });
const note = (text: string): DoctorLine => ({ mark: 'note', text, required: false });

const groupSchema = z.object({ displayName: z.string().nullish() });
const membersSchema = z.object({
  value: z.array(z.object({ '@odata.type': z.string().optional(), id: z.string() })),
});

async function checkGroup(
  graph: GraphProbe,
  key: string,
  id: string,
): Promise<{ line: DoctorLine; found: boolean }> {
  const answer = await graph.call(
    'GET',
    `/groups/${encodeURIComponent(id)}?$select=id,displayName`,
  );
  if (answer.kind === 'unreachable') {
    return {
      line: { mark: '?', text: `${key} ${id} — could not check: ${answer.reason}`, required: true },
      found: false,
    };
  }
  if (answer.status === 200) {
    const name = groupSchema.safeParse(answer.body).data?.displayName;
    return { line: ok(`${key} is the group ${name ? `"${name}" ` : ''}(${id})`), found: true };
  }
  if (answer.status === 404) {
    return {
      line: fail(
        `${key} ${id} is not a group in this tenant; copy the group's Object ID from Entra admin center › Groups › All groups`,
      ),
      found: false,
    };
  }
  if (answer.status === 403) {
    return {
      line: {
        mark: '?',
        text: `${key} ${id} — could not check: GroupMember.Read.All is missing`,
        required: true,
      },
      found: false,
    };
  }
  return {
    line: {
      mark: '?',
      text: `${key} ${id} — could not check: Graph answered HTTP ${answer.status}`,
      required: true,
    },
    found: false,
  };
}

/** A helpdesk member to read about in the probes, and what to say about the group's members. */
async function probeSubject(
  graph: GraphProbe,
  groupId: string,
): Promise<{ userId: string | undefined; line: DoctorLine | undefined }> {
  const answer = await graph.call(
    'GET',
    `/groups/${encodeURIComponent(groupId)}/members?$select=id&$top=20`,
  );
  if (answer.kind !== 'answered' || answer.status !== 200) {
    return { userId: undefined, line: undefined };
  }
  const members = membersSchema.safeParse(answer.body).data?.value ?? [];
  if (members.length === 0) {
    return {
      userId: undefined,
      line: fail('HELPDESK_GROUP_ID has no members: nobody can approve a request'),
    };
  }
  // Members can be nested groups or devices; only a user is read about.
  const user = members.find(
    (member) => (member['@odata.type'] ?? '#microsoft.graph.user') === '#microsoft.graph.user',
  );
  return { userId: user?.id, line: undefined };
}

/** Runs every check. Never throws for a problem it can name. */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const lines: DoctorLine[] = [];
  const report = (): DoctorReport => ({
    lines,
    ok: lines.every((line) => !line.required || line.mark === 'ok'),
  });

  const loaded = loadConfig(options.env);
  if (!loaded.ok) {
    for (const problem of loaded.problems) lines.push(fail(`configuration: ${problem}`));
    return report();
  }
  const { config } = loaded;
  lines.push(
    ok(`configuration is valid (tenant ${config.tenantId}, Graph at ${config.graph.baseUrl})`),
  );
  for (const warning of loaded.warnings) lines.push(note(warning));

  lines.push(...teamsLines(config));

  const credential =
    options.credential === undefined
      ? usesLocalGraph(config)
        ? undefined
        : createGraphCredential(config.graph)
      : (options.credential ?? undefined);

  let accessToken: string | undefined;
  let roles: ReadonlySet<string> | undefined;
  if (credential) {
    const token = await acquireGraphToken(credential, config.graph.baseUrl, options.timeoutMs);
    if (!token.ok) {
      lines.push(
        fail(
          `could not get a token for Microsoft Graph: ${token.reason}. Check AZURE_TENANT_ID, AZURE_CLIENT_ID and the secret, certificate or managed identity`,
        ),
      );
      for (const permission of GRAPH_PERMISSIONS) {
        lines.push({
          mark: '?',
          text: `${permission} — not checked: no token`,
          required: !OPTIONAL_PERMISSIONS.has(permission),
        });
      }
      return report();
    }
    accessToken = token.token;
    const claims = tokenClaims(token.token);
    if (claims) {
      roles = new Set(claims.roles);
      lines.push(
        ok(
          `got a Graph token${claims.appId ? ` for app ${claims.appId}` : ''}; its roles claim lists ${claims.roles.length} application permission${claims.roles.length === 1 ? '' : 's'}`,
        ),
      );
    } else {
      lines.push(
        note(
          'got a Graph token, but could not read its roles claim; permissions are checked by read probes only',
        ),
      );
    }
  } else {
    lines.push(
      note(
        `no Graph credential (local mode against ${config.graph.baseUrl}): permissions are checked by read probes only`,
      ),
    );
  }

  const graph = new GraphProbe({
    baseUrl: config.graph.baseUrl,
    ...(accessToken ? { accessToken } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });

  const groups: Array<[string, string | undefined]> = [
    ['HELPDESK_GROUP_ID', config.helpdesk.groupId],
    ['SECURITY_GROUP_ID', config.security.groupId],
    ['PRIVILEGED_GROUP_ID', config.privilegedGroupId],
  ];
  let helpdeskFound = false;
  for (const [key, id] of groups) {
    if (!id) continue;
    const { line, found } = await checkGroup(graph, key, id);
    lines.push(line);
    if (key === 'HELPDESK_GROUP_ID') helpdeskFound = found;
  }

  let userId: string | undefined;
  if (helpdeskFound) {
    const subject = await probeSubject(graph, config.helpdesk.groupId);
    userId = subject.userId;
    if (subject.line) lines.push(subject.line);
  }
  if (!userId) {
    lines.push(
      note(
        'no helpdesk member could be read, so user reads probe a user that does not exist (Graph answers 404 when the read is allowed)',
      ),
    );
  }

  const subjects = {
    userId: userId ?? NO_SUCH_USER,
    groupId: config.helpdesk.groupId,
    teamsAppId: config.teams.appId,
  };
  const verdicts = await Promise.all(
    GRAPH_PERMISSIONS.map((permission) => graph.probe(permission, subjects)),
  );
  const managedIdentity =
    !usesLocalGraph(config) && !config.graph.clientSecret && !config.graph.certificatePath;
  GRAPH_PERMISSIONS.forEach((permission, i) => {
    const verdict = verdicts[i] ?? { kind: 'unknown', reason: 'not run' };
    lines.push(
      permissionLine(
        permission,
        verdict,
        roles,
        managedIdentity ? MANAGED_IDENTITY_FIX : PERMISSION_FIX,
      ),
    );
  });
  const writes = GRAPH_PERMISSIONS.filter(isWrite).join(' and ');
  lines.push(
    note(
      roles
        ? `a read probe cannot prove a write permission: ${writes} were also checked against the token's roles claim`
        : `a read probe cannot prove a write permission: ${writes} are only known to allow reads until the doctor runs with the real credential`,
    ),
  );
  return report();
}

function teamsLines(config: Readonly<Config>): DoctorLine[] {
  const lines: DoctorLine[] = [];
  lines.push(
    config.teams.appId
      ? ok(`TEAMS_APP_ID is set (${config.teams.appId})`)
      : fail('TEAMS_APP_ID is not set: use the id in the Teams app package (npm run package)'),
  );
  const channels: Array<[string, string | undefined, boolean]> = [
    ['HELPDESK_CHANNEL_ID', config.helpdesk.channelId, true],
    ['SECURITY_CHANNEL_ID', config.security.channelId, false],
  ];
  for (const [key, id, required] of channels) {
    if (!id) continue;
    lines.push(
      TACV2_CHANNEL.test(id)
        ? { mark: 'ok', text: `${key} has the 19:…@thread.tacv2 shape`, required }
        : {
            mark: '?',
            text: `${key} is an older @thread.skype id; check it was copied from the channel's link (19:…@thread.tacv2)`,
            required: false,
          },
    );
  }
  return lines;
}

/** The report as the terminal shows it: a mark column, then the text. */
export function formatReport(report: DoctorReport): string {
  const body = report.lines.map((line) => `${line.mark.padEnd(9)}${line.text}`).join('\n');
  const verdict = report.ok
    ? 'TapDesk doctor: everything required is ok.'
    : 'TapDesk doctor: something required is missing or wrong (see the lines above).';
  return `${body}\n\n${verdict}\n`;
}
