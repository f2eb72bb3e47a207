import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  startDirectoryEmulator,
  type DirectoryEmulator,
} from '../../src/demo/directoryEmulator.js';
import { DEMO, loadDemoTenant } from '../../src/demo/tenantSeed.js';
import {
  GraphDirectory,
  createGraphCredential,
  maskPhoneNumber,
  type GraphRetryOptions,
} from '../../src/graph/graphDirectory.js';
import { createLogger, silentLogger } from '../../src/logger.js';
import { DirectoryError } from '../../src/ports.js';

const { users, groups } = DEMO;
const GROUP_IDS = [groups.helpdesk, groups.security, groups.privileged];

let emulator: DirectoryEmulator;
let directory: GraphDirectory;
/** Every line the shared directory logged, to search for passes. */
const logLines: string[] = [];

const FAST_RETRY: GraphRetryOptions = { maxRetries: 3, maxDelaySeconds: 2, baseDelaySeconds: 0.01 };

function directoryFor(retry: GraphRetryOptions = FAST_RETRY): GraphDirectory {
  return new GraphDirectory({ baseUrl: emulator.url, logger: silentLogger(), retry });
}

async function failureOf(promise: Promise<unknown>): Promise<DirectoryError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DirectoryError) return error;
    throw error;
  }
  throw new Error('expected a DirectoryError');
}

beforeAll(async () => {
  emulator = await startDirectoryEmulator({ seed: loadDemoTenant() });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  directory = new GraphDirectory({
    baseUrl: emulator.url,
    logger: createLogger('debug', sink),
    retry: FAST_RETRY,
  });
});
afterAll(async () => {
  await emulator.close();
});
afterEach(() => {
  emulator.reset();
});

describe('reading people', () => {
  it('reads a user with the properties eligibility needs', async () => {
    expect(await directory.getUser(users.ava)).toEqual({
      id: users.ava,
      displayName: 'Ava Employee',
      userPrincipalName: 'ava@contoso.example',
      accountEnabled: true,
      userType: 'Member',
      mobilePhone: '+1 425 555 0142',
      businessPhones: ['+1 425 555 0100'],
      department: 'Finance',
      jobTitle: 'Accountant',
      createdDateTime: expect.any(String),
    });
    expect((await directory.getUser('gail_partner.example#EXT#@contoso.example'))?.userType).toBe(
      'Guest',
    );
    expect((await directory.getUser(users.dan))?.accountEnabled).toBe(false);
  });

  it('answers undefined for a user the directory does not have', async () => {
    expect(await directory.getUser('a0000000-0000-4000-8000-0000000000ff')).toBeUndefined();
  });

  it('reads the manager, and undefined when Graph answers 404', async () => {
    expect((await directory.getManager(users.ava))?.id).toBe(users.maya);
    expect(await directory.getManager(users.olly)).toBeUndefined();
  });

  it('lists direct reports', async () => {
    const reports = await directory.getDirectReports(users.maya);
    expect(reports.map((r) => r.displayName).sort()).toEqual(['Ava Employee', 'Nina Newhire']);
  });

  it('checks membership of the asked groups only, without a call for none', async () => {
    expect(await directory.checkMemberGroups(users.hugo, GROUP_IDS)).toEqual([groups.helpdesk]);
    const before = emulator.calls.length;
    expect(await directory.checkMemberGroups(users.hugo, [])).toEqual([]);
    expect(emulator.calls.length).toBe(before);
  });

  it('lists active directory roles', async () => {
    expect(await directory.listActiveRoles(users.ada)).toEqual([DEMO.roles.globalAdministrator]);
    expect(await directory.listActiveRoles(users.ava)).toEqual([]);
  });
});

describe('getProfile', () => {
  it('reads user, manager, methods, roles and groups in exactly one $batch call', async () => {
    const before = emulator.calls.length;
    const profile = await directory.getProfile(users.ada, GROUP_IDS);
    const calls = emulator.calls.slice(before);
    expect(calls.filter((c) => !c.viaBatch).map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /$batch',
    ]);
    expect(calls.filter((c) => c.viaBatch)).toHaveLength(5);
    expect(profile).toEqual({
      user: expect.objectContaining({ id: users.ada, accountEnabled: true, userType: 'Member' }),
      manager: null,
      methods: [
        expect.objectContaining({ type: 'password' }),
        expect.objectContaining({ type: 'microsoftAuthenticator', label: 'iPhone 13' }),
        expect.objectContaining({ type: 'fido2', label: 'Admin key (YubiKey 5C NFC)' }),
      ],
      activeRoles: [DEMO.roles.globalAdministrator],
      memberOf: [groups.privileged],
    });
  });

  it('includes the manager and skips the group check when no groups are asked', async () => {
    const before = emulator.calls.length;
    const profile = await directory.getProfile(users.ava, []);
    expect(profile?.manager?.displayName).toBe('Maya Manager');
    expect(profile?.memberOf).toEqual([]);
    expect(emulator.calls.slice(before).some((c) => c.path.endsWith('/checkMemberGroups'))).toBe(
      false,
    );
  });

  it('answers undefined for a user the directory does not have', async () => {
    expect(await directory.getProfile('nobody@contoso.example', GROUP_IDS)).toBeUndefined();
  });

  it('retries only a throttled sub-request, after its Retry-After', async () => {
    emulator.inject({ path: /\/manager$/, status: 429, retryAfterSeconds: 1 });
    const before = emulator.calls.length;
    const started = performance.now();
    const profile = await directory.getProfile(users.ava, GROUP_IDS);
    const elapsed = performance.now() - started;
    const calls = emulator.calls.slice(before);

    expect(profile?.manager?.id).toBe(users.maya);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(calls.filter((c) => c.path === '/$batch')).toHaveLength(2);
    expect(calls.filter((c) => c.path.endsWith('/manager')).map((c) => c.status)).toEqual([
      429, 200,
    ]);
    expect(calls.filter((c) => c.path === `/users/${users.ava}`)).toHaveLength(1);
  });

  it('names the missing permission when a sub-request is refused', async () => {
    emulator.denyPermission('RoleManagement.Read.Directory');
    const error = await failureOf(directory.getProfile(users.ava, GROUP_IDS));
    expect(error.kind).toBe('forbidden');
    expect(error.permission).toBe('RoleManagement.Read.Directory');
    expect(error.message).toContain('RoleManagement.Read.Directory');
  });
});

describe('authentication methods', () => {
  it('maps methods with a label a person recognises', async () => {
    expect(await directory.listAuthMethods(users.maya)).toEqual([
      {
        id: '28c10230-6103-485e-b985-444c60001490',
        type: 'password',
        label: null,
        createdAt: null,
      },
      {
        id: 'e0000000-0000-4000-8000-000000000201',
        type: 'microsoftAuthenticator',
        label: 'Pixel 8',
        createdAt: expect.any(String),
      },
      {
        id: '3179e48a-750b-4051-897c-87b9720928f7',
        type: 'phone',
        label: '+1 425*****77',
        createdAt: null,
      },
    ]);
  });

  it('masks phone numbers but keeps the country code, area and last two digits', () => {
    expect(maskPhoneNumber('+1 425 555 0142')).toBe('+1 425 *** **42');
    expect(maskPhoneNumber('+44 7700 900123')).toBe('+44 770* ****23');
    expect(maskPhoneNumber('12345')).toBe('***45');
  });

  it('deletes an authenticator device, and a second delete is not an error', async () => {
    await directory.deleteAuthenticatorMethod(users.olly, 'e0000000-0000-4000-8000-000000000a01');
    const types = (await directory.listAuthMethods(users.olly)).map((m) => m.type);
    expect(types).toEqual(['password']);
    await expect(
      directory.deleteAuthenticatorMethod(users.olly, 'e0000000-0000-4000-8000-000000000a01'),
    ).resolves.toBeUndefined();
  });
});

describe('Temporary Access Pass', () => {
  it('reads the tenant TAP policy', async () => {
    expect(await directory.getTapPolicy()).toEqual({
      enabled: true,
      defaultLifetimeInMinutes: 60,
      minimumLifetimeInMinutes: 60,
      maximumLifetimeInMinutes: 480,
      isUsableOnce: false,
      includeTargets: ['all_users'],
    });
  });

  it('creates a pass that Graph shows only once', async () => {
    const tap = await directory.createTap(users.hana, {
      lifetimeInMinutes: 60,
      isUsableOnce: true,
    });
    expect(emulator.issuedPasses).toContain(tap.temporaryAccessPass);
    expect(tap).toMatchObject({ lifetimeInMinutes: 60, isUsableOnce: true });
    expect(emulator.callsTo('POST', /temporaryAccessPassMethods$/).at(-1)?.body).toEqual({
      lifetimeInMinutes: 60,
      isUsableOnce: true,
    });
    expect(await directory.listTaps(users.hana)).toEqual([
      { id: tap.id, startDateTime: tap.startDateTime, lifetimeInMinutes: 60, isUsable: true },
    ]);
    const raw = await fetch(
      `${emulator.url}/v1.0/users/${users.hana}/authentication/temporaryAccessPassMethods/${tap.id}`,
    );
    expect(((await raw.json()) as { temporaryAccessPass: unknown }).temporaryAccessPass).toBeNull();
  });

  it('replaces the first pass with the second', async () => {
    const first = await directory.createTap(users.hugo, {
      lifetimeInMinutes: 60,
      isUsableOnce: true,
    });
    const second = await directory.createTap(users.hugo, {
      lifetimeInMinutes: 90,
      isUsableOnce: true,
    });
    expect(second.temporaryAccessPass).not.toBe(first.temporaryAccessPass);
    expect((await directory.listTaps(users.hugo)).map((t) => t.id)).toEqual([second.id]);
  });

  it('sends a future start and gets a not-yet-usable pass', async () => {
    const start = new Date(Date.now() + 86_400_000).toISOString();
    const tap = await directory.createTap(users.nina, {
      lifetimeInMinutes: 480,
      isUsableOnce: true,
      startDateTime: start,
    });
    expect(Date.parse(tap.startDateTime)).toBe(Date.parse(start));
    expect((await directory.listTaps(users.nina))[0]?.isUsable).toBe(false);
  });

  it('turns a lifetime outside the policy into bad_request with Graph’s reason', async () => {
    const error = await failureOf(
      directory.createTap(users.sam, { lifetimeInMinutes: 1000, isUsableOnce: true }),
    );
    expect(error.kind).toBe('bad_request');
    expect(error.status).toBe(400);
    expect(error.message).toContain('60 to 480 minutes');
  });

  it('deletes a pass, and a second delete is not an error', async () => {
    const tap = await directory.createTap(users.sam, { lifetimeInMinutes: 60, isUsableOnce: true });
    await directory.deleteTap(users.sam, tap.id);
    expect(await directory.listTaps(users.sam)).toEqual([]);
    await expect(directory.deleteTap(users.sam, tap.id)).resolves.toBeUndefined();
  });

  it('names UserAuthenticationMethod.ReadWrite.All when creating a pass is forbidden', async () => {
    emulator.denyPermission('UserAuthenticationMethod.ReadWrite.All');
    const error = await failureOf(
      directory.createTap(users.ava, { lifetimeInMinutes: 60, isUsableOnce: true }),
    );
    expect(error).toMatchObject({ kind: 'forbidden', status: 403 });
    expect(error.permission).toBe('UserAuthenticationMethod.ReadWrite.All');
    expect(error.message).toBe(
      'TapDesk lacks the Microsoft Graph application permission UserAuthenticationMethod.ReadWrite.All ' +
        '(needed to create a Temporary Access Pass). An administrator must grant it and give admin consent.',
    );
  });

  it('never puts a pass into an error message or a log line', async () => {
    const errors: DirectoryError[] = [];
    await directory.createTap(users.ava, { lifetimeInMinutes: 60, isUsableOnce: true });
    errors.push(
      await failureOf(directory.createTap(users.ava, { lifetimeInMinutes: 5, isUsableOnce: true })),
    );
    emulator.inject({ path: /temporaryAccessPassMethods$/, status: 503, times: Infinity });
    errors.push(
      await failureOf(
        directoryFor({ maxRetries: 0 }).createTap(users.ava, {
          lifetimeInMinutes: 60,
          isUsableOnce: true,
        }),
      ),
    );
    emulator.reset();
    emulator.denyPermission('UserAuthenticationMethod.ReadWrite.All');
    errors.push(await failureOf(directory.listTaps(users.ava)));

    expect(emulator.issuedPasses.length).toBeGreaterThan(0);
    const text = [...errors.map((e) => `${e.message} ${e.stack ?? ''}`), ...logLines].join('\n');
    expect(logLines.some((l) => l.includes('Temporary Access Pass created'))).toBe(true);
    for (const pass of emulator.issuedPasses) expect(text).not.toContain(pass);
  });
});

describe('risk and audit', () => {
  it('lists audit entries about the user since a time, naming changed properties', async () => {
    const since = new Date(Date.now() - 14 * 86_400_000).toISOString();
    expect(await directory.listDirectoryAuditsForUser(users.olly, since)).toEqual([
      { activity: 'Update user (Mobile)', at: expect.any(String) },
    ]);
    const recent = new Date(Date.now() - 86_400_000).toISOString();
    expect(await directory.listDirectoryAuditsForUser(users.olly, recent)).toEqual([]);
  });

  it('follows next links across pages, newest first', async () => {
    const paged = await startDirectoryEmulator({ seed: loadDemoTenant(), auditPageSize: 1 });
    try {
      const now = Date.now();
      for (const hoursAgo of [3, 1, 2]) {
        paged.tenant.directoryAudits.push({
          id: `paged-${hoursAgo}`,
          activityDisplayName: 'User registered security info',
          activityDateTime: new Date(now - hoursAgo * 3_600_000).toISOString(),
          category: 'UserManagement',
          targetUserId: users.sam,
          modifiedProperties: [],
        });
      }
      const reader = new GraphDirectory({ baseUrl: paged.url, logger: silentLogger() });
      const since = new Date(now - 86_400_000).toISOString();
      const entries = await reader.listDirectoryAuditsForUser(users.sam, since);
      expect(entries.map((e) => e.at)).toEqual(
        [1, 2, 3].map((h) => new Date(now - h * 3_600_000).toISOString()),
      );
      expect(paged.callsTo('GET', /directoryAudits$/)).toHaveLength(3);
    } finally {
      await paged.close();
    }
  });

  it('reads user risk, none when Identity Protection has no record, unavailable when forbidden', async () => {
    expect(await directory.getUserRisk(users.olly)).toEqual({ level: 'low', state: 'atRisk' });
    expect(await directory.getUserRisk(users.ava)).toEqual({ level: 'none', state: 'none' });
    emulator.denyPermission('IdentityRiskyUser.Read.All');
    expect(await directory.getUserRisk(users.olly)).toBe('unavailable');
  });
});

describe('Teams app installation', () => {
  it('installs the app (twice is fine) and finds the 1:1 chat', async () => {
    expect(await directory.getAppChatId(users.maya, DEMO.teamsAppId)).toBeUndefined();
    await directory.installAppForUser(users.maya, DEMO.teamsAppId);
    await directory.installAppForUser(users.maya, DEMO.teamsAppId);
    expect(emulator.callsTo('POST', /teamwork\/installedApps$/).map((c) => c.status)).toEqual([
      201, 409,
    ]);
    expect(await directory.getAppChatId(users.maya, DEMO.teamsAppId)).toMatch(
      /^19:.+@unq\.gbl\.spaces$/,
    );
  });
});

describe('retries and failures', () => {
  it('waits at least Retry-After before retrying a 429', async () => {
    emulator.inject({
      path: new RegExp(`^/users/${users.ava}$`),
      status: 429,
      retryAfterSeconds: 1,
    });
    const started = performance.now();
    expect((await directory.getUser(users.ava))?.id).toBe(users.ava);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    expect(
      emulator
        .callsTo('GET', new RegExp(`^/users/${users.ava}$`))
        .slice(-2)
        .map((c) => c.status),
    ).toEqual([429, 200]);
  });

  it('retries 503 twice and then succeeds', async () => {
    emulator.inject({ path: /^\/organization$/, status: 503, times: 2 });
    await directoryFor({ maxRetries: 3, maxDelaySeconds: 0.05, baseDelaySeconds: 0.01 }).ping();
    expect(
      emulator
        .callsTo('GET', /^\/organization$/)
        .slice(-3)
        .map((c) => c.status),
    ).toEqual([503, 503, 200]);
  });

  it('gives up on a permanent 503 after maxRetries + 1 calls, as unavailable', async () => {
    emulator.inject({ path: /\/directReports$/, status: 503, times: Infinity });
    const bounded = directoryFor({ maxRetries: 2, maxDelaySeconds: 0.05, baseDelaySeconds: 0.01 });
    const before = emulator.callsTo('GET', /\/directReports$/).length;
    const error = await failureOf(bounded.getDirectReports(users.maya));
    expect(error.kind).toBe('unavailable');
    expect(error.message).toContain('Try again in a minute');
    expect(emulator.callsTo('GET', /\/directReports$/).length - before).toBe(3);
  });

  it('does not wait for a Retry-After longer than allowed; the call is throttled', async () => {
    emulator.inject({ path: /\/manager$/, status: 429, retryAfterSeconds: 120, times: Infinity });
    const before = emulator.callsTo('GET', /\/manager$/).length;
    const error = await failureOf(directory.getManager(users.ava));
    expect(error).toMatchObject({ kind: 'throttled', status: 429 });
    expect(error.message).toContain('Try again in a minute');
    expect(emulator.callsTo('GET', /\/manager$/).length - before).toBe(1);
  });

  it('turns 404 on a write into not_found and 403 on a read into forbidden', async () => {
    const missing = await failureOf(directory.listAuthMethods('nobody@contoso.example'));
    expect(missing.kind).toBe('not_found');
    emulator.denyPermission('AuditLog.Read.All');
    const forbidden = await failureOf(
      directory.listDirectoryAuditsForUser(users.ava, new Date(0).toISOString()),
    );
    expect(forbidden).toMatchObject({ kind: 'forbidden', permission: 'AuditLog.Read.All' });
    expect(forbidden.message).toContain('AuditLog.Read.All');
  });

  it('pings the organization, and a refused ping still counts as reachable', async () => {
    await expect(directory.ping()).resolves.toBeUndefined();
    emulator.denyPermission('Organization.Read.All');
    await expect(directory.ping()).resolves.toBeUndefined();
  });

  it('reports a Graph it cannot reach as unavailable', async () => {
    const closed = await startDirectoryEmulator({ seed: loadDemoTenant() });
    const url = closed.url;
    await closed.close();
    const unreachable = new GraphDirectory({
      baseUrl: url,
      logger: silentLogger(),
      retry: FAST_RETRY,
    });
    expect(await failureOf(unreachable.ping())).toMatchObject({ kind: 'unavailable' });
  });
});

describe('a Graph that hangs', () => {
  it('fails each call as unavailable after the timeout instead of waiting for ever', async () => {
    emulator.setLatency(5_000, /\/users\//);
    const impatient = new GraphDirectory({
      baseUrl: emulator.url,
      logger: silentLogger(),
      retry: { maxRetries: 0 },
      timeoutMs: 200,
    });
    // Without the timeout the slow answer would arrive and the read would succeed.
    const error = await failureOf(impatient.getUser(users.ava));
    expect(error.kind).toBe('unavailable');
    expect(error.message).toContain('could not be reached');
  });
});

describe('odd responses', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.includes('/manager')) {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"id": 42}');
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('not json at all');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('turns malformed JSON and wrong shapes into unavailable errors, not crashes', async () => {
    const odd = new GraphDirectory({ baseUrl: url, logger: silentLogger(), retry: FAST_RETRY });
    expect(await failureOf(odd.getUser(users.ava))).toMatchObject({ kind: 'unavailable' });
    expect(await failureOf(odd.getManager(users.ava))).toMatchObject({ kind: 'unavailable' });
  });
});

describe('createGraphCredential', () => {
  it('picks a client secret, a certificate, or a managed identity', () => {
    const ids = { tenantId: DEMO.tenantId, clientId: 'd0000000-0000-4000-8000-000000000002' };
    expect(createGraphCredential({ ...ids, clientSecret: 's3cret' }).constructor.name).toBe(
      'ClientSecretCredential',
    );
    expect(
      createGraphCredential({ ...ids, certificatePath: '/etc/tapdesk/cert.pem' }).constructor.name,
    ).toBe('ClientCertificateCredential');
    expect(createGraphCredential({}).constructor.name).toBe('ManagedIdentityCredential');
  });
});
