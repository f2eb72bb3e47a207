import { z } from 'zod';

/** Every environment key TapDesk reads, in the order `env.sample` documents them. */
export const CONFIG_KEYS = [
  'PORT',
  'MicrosoftAppId',
  'MicrosoftAppPassword',
  'MicrosoftAppType',
  'MicrosoftAppTenantId',
  'TAPDESK_LOCAL_MODE',
  'TENANT_ID',
  'GRAPH_BASE_URL',
  'AZURE_TENANT_ID',
  'AZURE_CLIENT_ID',
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'TEAMS_SERVICE_URL',
  'TEAMS_APP_ID',
  'HELPDESK_CHANNEL_ID',
  'HELPDESK_GROUP_ID',
  'SECURITY_CHANNEL_ID',
  'SECURITY_GROUP_ID',
  'PRIVILEGED_GROUP_ID',
  'TAP_LIFETIME_MINUTES',
  'REQUEST_TTL_MINUTES',
  'MAX_REQUESTS_PER_DAY',
  'SWEEP_INTERVAL_SECONDS',
  'STORE',
  'SQLITE_PATH',
  'AZURE_TABLES_CONNECTION_STRING',
  'AZURE_TABLES_ENDPOINT',
  'LOG_LEVEL',
] as const;

export type ConfigKey = (typeof CONFIG_KEYS)[number];
export type Env = Readonly<Record<string, string | undefined>>;

/** Validated, frozen configuration. Optional features are `undefined` when unset. */
export interface Config {
  port: number;
  localMode: boolean;
  bot: {
    appId: string;
    appPassword: string | undefined;
    appType: 'SingleTenant' | 'MultiTenant' | 'UserAssignedMSI';
    appTenantId: string | undefined;
  };
  tenantId: string;
  graph: {
    baseUrl: string;
    tenantId: string | undefined;
    clientId: string | undefined;
    clientSecret: string | undefined;
    certificatePath: string | undefined;
  };
  teams: { serviceUrl: string; appId: string | undefined };
  helpdesk: { channelId: string; groupId: string };
  security: { channelId: string | undefined; groupId: string | undefined };
  privilegedGroupId: string | undefined;
  tapLifetimeMinutes: number;
  requestTtlMinutes: number;
  maxRequestsPerDay: number;
  /** How often the periodic check (expiry, pass-card scrub, completion, reminders) runs. */
  sweepIntervalSeconds: number;
  store:
    | { kind: 'sqlite'; path: string }
    /** A connection string, or an endpoint reached with the Azure identity (managed identity). */
    | { kind: 'azure-tables'; connectionString: string }
    | { kind: 'azure-tables'; endpoint: string };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export type ConfigResult =
  { ok: true; config: Readonly<Config>; warnings: string[] } | { ok: false; problems: string[] };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHANNEL_ID = /^19:[^\s]+@thread\.(tacv2|skype)$/;

const blankToUndefined = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess(blankToUndefined, schema.optional());

const guid = (key: string) =>
  z.string().trim().regex(GUID, `${key} must be a GUID like 00000000-0000-0000-0000-000000000000`);

const channelId = (key: string) =>
  z
    .string()
    .trim()
    .regex(CHANNEL_ID, `${key} must be a Teams channel id like 19:abc…@thread.tacv2`);

const integer = (key: string, min: number, max: number, fallback: number) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .regex(/^\d+$/, `${key} must be a whole number between ${min} and ${max}`)
      .transform(Number)
      .pipe(
        z
          .number()
          .min(min, `${key} must be at least ${min}`)
          .max(max, `${key} must be at most ${max}`),
      )
      .default(fallback),
  );

const url = (key: string, fallback: string) =>
  z.preprocess(
    blankToUndefined,
    z
      .url({ protocol: /^https?$/, error: `${key} must be an http(s) URL` })
      .default(fallback)
      .transform((value) => value.replace(/\/+$/, '')),
  );

/** Unset stays distinct from false: only the words true and false are accepted. */
const flag = (key: string) =>
  z.preprocess(
    blankToUndefined,
    z
      .enum(['true', 'false'], { error: `${key} must be true or false` })
      .default('false')
      .transform((value) => value === 'true'),
  );

const schema = z.object({
  PORT: integer('PORT', 0, 65535, 3978),
  MicrosoftAppId: optional(guid('MicrosoftAppId')),
  MicrosoftAppPassword: optional(z.string()),
  MicrosoftAppType: z.preprocess(
    blankToUndefined,
    z
      .enum(['SingleTenant', 'MultiTenant', 'UserAssignedMSI'], {
        error: 'MicrosoftAppType must be SingleTenant, MultiTenant or UserAssignedMSI',
      })
      .default('SingleTenant'),
  ),
  MicrosoftAppTenantId: optional(guid('MicrosoftAppTenantId')),
  TAPDESK_LOCAL_MODE: flag('TAPDESK_LOCAL_MODE'),
  TENANT_ID: z.preprocess(
    blankToUndefined,
    z
      .string({ error: 'TENANT_ID is required: the Entra tenant id TapDesk serves' })
      .pipe(guid('TENANT_ID')),
  ),
  GRAPH_BASE_URL: url('GRAPH_BASE_URL', 'https://graph.microsoft.com'),
  AZURE_TENANT_ID: optional(guid('AZURE_TENANT_ID')),
  AZURE_CLIENT_ID: optional(guid('AZURE_CLIENT_ID')),
  AZURE_CLIENT_SECRET: optional(z.string()),
  AZURE_CLIENT_CERTIFICATE_PATH: optional(z.string()),
  TEAMS_SERVICE_URL: url('TEAMS_SERVICE_URL', 'https://smba.trafficmanager.net/teams/'),
  TEAMS_APP_ID: optional(guid('TEAMS_APP_ID')),
  HELPDESK_CHANNEL_ID: z.preprocess(
    blankToUndefined,
    z
      .string({
        error: 'HELPDESK_CHANNEL_ID is required: the channel where request cards are posted',
      })
      .pipe(channelId('HELPDESK_CHANNEL_ID')),
  ),
  HELPDESK_GROUP_ID: z.preprocess(
    blankToUndefined,
    z
      .string({ error: 'HELPDESK_GROUP_ID is required: the Entra group whose members may approve' })
      .pipe(guid('HELPDESK_GROUP_ID')),
  ),
  SECURITY_CHANNEL_ID: optional(channelId('SECURITY_CHANNEL_ID')),
  SECURITY_GROUP_ID: optional(guid('SECURITY_GROUP_ID')),
  PRIVILEGED_GROUP_ID: optional(guid('PRIVILEGED_GROUP_ID')),
  TAP_LIFETIME_MINUTES: integer('TAP_LIFETIME_MINUTES', 10, 43200, 60),
  REQUEST_TTL_MINUTES: integer('REQUEST_TTL_MINUTES', 1, 43200, 240),
  MAX_REQUESTS_PER_DAY: integer('MAX_REQUESTS_PER_DAY', 1, 100, 3),
  SWEEP_INTERVAL_SECONDS: integer('SWEEP_INTERVAL_SECONDS', 1, 3600, 30),
  STORE: z.preprocess(
    blankToUndefined,
    z
      .enum(['sqlite', 'azure-tables'], { error: 'STORE must be sqlite or azure-tables' })
      .default('sqlite'),
  ),
  SQLITE_PATH: z.preprocess(blankToUndefined, z.string().default('./data/tapdesk.sqlite')),
  AZURE_TABLES_CONNECTION_STRING: optional(z.string()),
  AZURE_TABLES_ENDPOINT: optional(
    z.url({
      protocol: /^https$/,
      error:
        'AZURE_TABLES_ENDPOINT must be an https:// URL like https://account.table.core.windows.net',
    }),
  ),
  LOG_LEVEL: z.preprocess(
    blankToUndefined,
    z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
  ),
});

type Raw = z.infer<typeof schema>;

/** Rules that involve more than one key. */
function crossChecks(raw: Raw): string[] {
  const problems: string[] = [];
  if (!raw.TAPDESK_LOCAL_MODE) {
    if (!raw.MicrosoftAppId) {
      problems.push(
        'MicrosoftAppId is required outside local mode (set TAPDESK_LOCAL_MODE=true only on a developer machine)',
      );
    }
    if (raw.GRAPH_BASE_URL.startsWith('http://')) {
      problems.push('GRAPH_BASE_URL must use https:// outside local mode');
    }
    if (
      raw.MicrosoftAppType === 'SingleTenant' &&
      raw.MicrosoftAppId &&
      !raw.MicrosoftAppTenantId
    ) {
      problems.push('MicrosoftAppTenantId is required when MicrosoftAppType is SingleTenant');
    }
    if (
      raw.MicrosoftAppType !== 'UserAssignedMSI' &&
      raw.MicrosoftAppId &&
      !raw.MicrosoftAppPassword
    ) {
      problems.push(
        `MicrosoftAppPassword is required when MicrosoftAppType is ${raw.MicrosoftAppType}`,
      );
    }
  }
  if (raw.AZURE_CLIENT_SECRET && raw.AZURE_CLIENT_CERTIFICATE_PATH) {
    problems.push('Set AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, not both');
  }
  if ((raw.AZURE_CLIENT_SECRET || raw.AZURE_CLIENT_CERTIFICATE_PATH) && !raw.AZURE_CLIENT_ID) {
    problems.push(
      'AZURE_CLIENT_ID is required with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH',
    );
  }
  if (
    raw.STORE === 'azure-tables' &&
    !raw.AZURE_TABLES_CONNECTION_STRING === !raw.AZURE_TABLES_ENDPOINT
  ) {
    problems.push(
      'STORE=azure-tables needs exactly one of AZURE_TABLES_CONNECTION_STRING or AZURE_TABLES_ENDPOINT',
    );
  }
  if (raw.SECURITY_CHANNEL_ID && raw.SECURITY_CHANNEL_ID === raw.HELPDESK_CHANNEL_ID) {
    problems.push(
      'SECURITY_CHANNEL_ID must differ from HELPDESK_CHANNEL_ID (leave it unset to use the helpdesk channel)',
    );
  }
  return problems;
}

/** Edit distance, for "did you mean" hints on misspelled keys. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

function misspellings(env: Env): string[] {
  const known = new Set<string>(CONFIG_KEYS);
  const warnings: string[] = [];
  for (const key of Object.keys(env)) {
    if (known.has(key)) continue;
    // Short names get a tighter bound, so PWD or TERM are never taken for PORT.
    const match = CONFIG_KEYS.find(
      (candidate) =>
        distance(candidate.toUpperCase(), key.toUpperCase()) <= (candidate.length <= 6 ? 1 : 2),
    );
    if (match) warnings.push(`${key} is not a TapDesk setting; did you mean ${match}?`);
  }
  return warnings;
}

/** Parses and validates the environment once. Never throws. */
export function loadConfig(env: Env): ConfigResult {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) =>
        issue.message.includes(String(issue.path[0]))
          ? issue.message
          : `${String(issue.path[0])}: ${issue.message}`,
      ),
    };
  }
  const raw = parsed.data;
  const problems = crossChecks(raw);
  if (problems.length > 0) return { ok: false, problems };

  const warnings = misspellings(env);
  if (raw.TAPDESK_LOCAL_MODE) {
    warnings.push(
      'TAPDESK_LOCAL_MODE is on: Bot Framework tokens are not checked and the server listens on 127.0.0.1 only',
    );
  }
  const config: Config = {
    port: raw.PORT,
    localMode: raw.TAPDESK_LOCAL_MODE,
    bot: {
      appId: raw.MicrosoftAppId ?? '',
      appPassword: raw.MicrosoftAppPassword,
      appType: raw.MicrosoftAppType,
      appTenantId: raw.MicrosoftAppTenantId,
    },
    tenantId: raw.TENANT_ID,
    graph: {
      baseUrl: raw.GRAPH_BASE_URL,
      tenantId: raw.AZURE_TENANT_ID ?? raw.TENANT_ID,
      clientId: raw.AZURE_CLIENT_ID,
      clientSecret: raw.AZURE_CLIENT_SECRET,
      certificatePath: raw.AZURE_CLIENT_CERTIFICATE_PATH,
    },
    teams: { serviceUrl: `${raw.TEAMS_SERVICE_URL}/`, appId: raw.TEAMS_APP_ID },
    helpdesk: { channelId: raw.HELPDESK_CHANNEL_ID, groupId: raw.HELPDESK_GROUP_ID },
    security: { channelId: raw.SECURITY_CHANNEL_ID, groupId: raw.SECURITY_GROUP_ID },
    privilegedGroupId: raw.PRIVILEGED_GROUP_ID,
    tapLifetimeMinutes: raw.TAP_LIFETIME_MINUTES,
    requestTtlMinutes: raw.REQUEST_TTL_MINUTES,
    maxRequestsPerDay: raw.MAX_REQUESTS_PER_DAY,
    sweepIntervalSeconds: raw.SWEEP_INTERVAL_SECONDS,
    store:
      raw.STORE === 'sqlite'
        ? { kind: 'sqlite', path: raw.SQLITE_PATH }
        : raw.AZURE_TABLES_ENDPOINT
          ? { kind: 'azure-tables', endpoint: raw.AZURE_TABLES_ENDPOINT }
          : { kind: 'azure-tables', connectionString: raw.AZURE_TABLES_CONNECTION_STRING ?? '' },
    logLevel: raw.LOG_LEVEL,
  };
  return { ok: true, config: deepFreeze(config), warnings };
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child as object);
  }
  return Object.freeze(value);
}

/** In local mode an `http://` Graph (the directory emulator) is called without a token. */
export const usesLocalGraph = (config: Config): boolean =>
  config.localMode && config.graph.baseUrl.startsWith('http://') && !config.graph.clientId;
