import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  startDirectoryEmulator,
  type DirectoryEmulator,
} from '../../src/demo/directoryEmulator.js';
import { DEMO, loadDemoTenant, parseTenantSeed } from '../../src/demo/tenantSeed.js';

const { users, groups } = DEMO;

let emulator: DirectoryEmulator;

beforeAll(async () => {
  emulator = await startDirectoryEmulator({ seed: loadDemoTenant() });
});
afterAll(async () => {
  await emulator.close();
});
afterEach(() => {
  emulator.reset();
});

interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test probe of raw JSON
}

async function graph(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${emulator.url}/v1.0${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : undefined,
  };
}

describe('demo tenant seed', () => {
  it('holds every well-known demo user, group and role', () => {
    const seed = loadDemoTenant();
    const ids = new Set(seed.users.map((u) => u.id));
    for (const id of Object.values(users)) expect(ids).toContain(id);
    expect(seed.groups.map((g) => g.id).sort()).toEqual(Object.values(groups).sort());
    expect(seed.roleAssignments).toContainEqual(
      expect.objectContaining({
        principalId: users.ada,
        roleDefinitionId: DEMO.roles.globalAdministrator,
      }),
    );
    expect(seed.organization.id).toBe(DEMO.tenantId);
    expect(seed.teamsApps).toContain(DEMO.teamsAppId);
  });

  it('rejects a seed with a malformed user', () => {
    const seed = structuredClone(loadDemoTenant()) as unknown as { users: unknown[] };
    seed.users.push({ id: 'not-a-uuid', displayName: 'X', userPrincipalName: 'x@x' });
    expect(() => parseTenantSeed(seed)).toThrow();
  });

  it('computes relative dates from the emulator clock', async () => {
    const now = new Date('2030-06-15T12:00:00Z');
    const fixed = await startDirectoryEmulator({ seed: loadDemoTenant(), now: () => now });
    try {
      expect(fixed.tenant.users.get(users.nina)?.createdDateTime).toBe('2030-06-13T12:00:00.000Z');
    } finally {
      await fixed.close();
    }
  });
});

describe('Graph error shape', () => {
  it('answers an unknown user with 404 Request_ResourceNotFound and innerError ids', async () => {
    const answer = await graph('GET', '/users/nobody@contoso.example', undefined, {
      'client-request-id': 'abc-123',
    });
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('Request_ResourceNotFound');
    expect(answer.body.error.message).toContain('nobody@contoso.example');
    expect(answer.body.error.innerError).toEqual({
      date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
      'request-id': expect.any(String),
      'client-request-id': 'abc-123',
    });
  });

  it('refuses a path without /v1.0 and a body that is not JSON', async () => {
    const unversioned = await fetch(`${emulator.url}/users/${users.ava}`);
    expect(unversioned.status).toBe(400);
    const malformed = await graph('POST', `/users/${users.ava}/checkMemberGroups`, '{nope');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('BadRequest');
  });
});

describe('users', () => {
  it('returns only the $select-ed properties', async () => {
    const answer = await graph('GET', `/users/${users.ava}?$select=id,accountEnabled,mobilePhone`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      id: users.ava,
      accountEnabled: true,
      mobilePhone: '+1 425 555 0142',
    });
  });

  it('leaves accountEnabled and userType out without $select, as Graph v1.0 does', async () => {
    const answer = await graph('GET', `/users/${users.ava}`);
    expect(answer.body.displayName).toBe('Ava Employee');
    expect(answer.body).not.toHaveProperty('accountEnabled');
    expect(answer.body).not.toHaveProperty('userType');
  });

  it('rejects $select of an unknown property with 400', async () => {
    const answer = await graph('GET', `/users/${users.ava}?$select=id,shoeSize`);
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain("'shoeSize'");
  });

  it('finds a guest by a percent-encoded UPN', async () => {
    const upn = encodeURIComponent('gail_partner.example#EXT#@contoso.example');
    const answer = await graph('GET', `/users/${upn}?$select=id,userType`);
    expect(answer.body).toEqual({ id: users.gail, userType: 'Guest' });
  });

  it('answers the manager, 404 when there is none, and direct reports', async () => {
    const manager = await graph('GET', `/users/${users.ava}/manager?$select=id,displayName`);
    expect(manager.body).toEqual({
      '@odata.type': '#microsoft.graph.user',
      id: users.maya,
      displayName: 'Maya Manager',
    });
    const none = await graph('GET', `/users/${users.olly}/manager`);
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('Request_ResourceNotFound');
    const reports = await graph('GET', `/users/${users.maya}/directReports?$select=id`);
    expect(reports.body.value.map((r: { id: string }) => r.id).sort()).toEqual(
      [users.ava, users.nina].sort(),
    );
  });

  it('checks group membership transitively', async () => {
    emulator.tenant.groups.set('b0000000-0000-4000-8000-0000000000ff', {
      id: 'b0000000-0000-4000-8000-0000000000ff',
      displayName: 'All IT',
      members: new Set([groups.helpdesk]),
    });
    try {
      const answer = await graph('POST', `/users/${users.hugo}/checkMemberGroups`, {
        groupIds: [groups.helpdesk, groups.security, 'b0000000-0000-4000-8000-0000000000ff'],
      });
      expect(answer.body.value.sort()).toEqual(
        [groups.helpdesk, 'b0000000-0000-4000-8000-0000000000ff'].sort(),
      );
    } finally {
      emulator.tenant.groups.delete('b0000000-0000-4000-8000-0000000000ff');
    }
  });

  it('filters role assignments by principal', async () => {
    const filter = encodeURIComponent(`principalId eq '${users.ada}'`);
    const ada = await graph('GET', `/roleManagement/directory/roleAssignments?$filter=${filter}`);
    expect(ada.body.value).toEqual([
      expect.objectContaining({
        principalId: users.ada,
        roleDefinitionId: DEMO.roles.globalAdministrator,
      }),
    ]);
    const avaFilter = encodeURIComponent(`principalId eq '${users.ava}'`);
    const ava = await graph(
      'GET',
      `/roleManagement/directory/roleAssignments?$filter=${avaFilter}`,
    );
    expect(ava.body.value).toEqual([]);
  });
});

describe('authentication methods', () => {
  it('lists methods with their Graph @odata.type', async () => {
    const answer = await graph('GET', `/users/${users.maya}/authentication/methods`);
    expect(answer.body.value.map((m: Record<string, unknown>) => m['@odata.type'])).toEqual([
      '#microsoft.graph.passwordAuthenticationMethod',
      '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod',
      '#microsoft.graph.phoneAuthenticationMethod',
    ]);
    expect(answer.body.value[1]).toMatchObject({
      displayName: 'Pixel 8',
      deviceTag: 'SoftwareTokenActivated',
      phoneAppVersion: expect.any(String),
      createdDateTime: expect.any(String),
    });
    expect(answer.body.value[2]).toMatchObject({
      phoneNumber: '+1 4255550177',
      phoneType: 'mobile',
    });
  });

  it('deletes an authenticator device, then answers 404 for it', async () => {
    const path = `/users/${users.dan}/authentication/microsoftAuthenticatorMethods/e0000000-0000-4000-8000-000000000901`;
    expect((await graph('GET', path)).status).toBe(200);
    expect((await graph('DELETE', path)).status).toBe(204);
    expect((await graph('GET', path)).status).toBe(404);
    const list = await graph(
      'GET',
      `/users/${users.dan}/authentication/microsoftAuthenticatorMethods`,
    );
    expect(list.body.value).toEqual([]);
  });
});

describe('Temporary Access Pass', () => {
  const taps = `/users/${users.sam}/authentication/temporaryAccessPassMethods`;

  it('returns the pass once with 201; later reads show null', async () => {
    const created = await graph('POST', taps, { lifetimeInMinutes: 60, isUsableOnce: true });
    expect(created.status).toBe(201);
    expect(created.body.temporaryAccessPass).toMatch(/^.{8,}$/);
    expect(created.body).toMatchObject({
      lifetimeInMinutes: 60,
      isUsableOnce: true,
      isUsable: true,
      methodUsabilityReason: 'EnabledByPolicy',
      createdDateTime: expect.any(String),
      startDateTime: expect.any(String),
    });
    expect(emulator.issuedPasses).toContain(created.body.temporaryAccessPass);

    const one = await graph('GET', `${taps}/${created.body.id}`);
    expect(one.body.temporaryAccessPass).toBeNull();
    const methods = await graph('GET', `/users/${users.sam}/authentication/methods`);
    const tap = methods.body.value.find(
      (m: Record<string, unknown>) =>
        m['@odata.type'] === '#microsoft.graph.temporaryAccessPassAuthenticationMethod',
    );
    expect(tap).toMatchObject({ id: created.body.id, temporaryAccessPass: null });
  });

  it('replaces the previous pass with a new, different one', async () => {
    const first = await graph('POST', taps, { lifetimeInMinutes: 60 });
    const second = await graph('POST', taps, { lifetimeInMinutes: 120 });
    expect(second.body.temporaryAccessPass).not.toBe(first.body.temporaryAccessPass);
    const list = await graph('GET', taps);
    expect(list.body.value).toHaveLength(1);
    expect(list.body.value[0]).toMatchObject({ id: second.body.id, lifetimeInMinutes: 120 });
    expect((await graph('GET', `${taps}/${first.body.id}`)).status).toBe(404);
  });

  it('refuses lifetimes outside Graph limits and outside the policy with 400', async () => {
    const tooShort = await graph('POST', taps, { lifetimeInMinutes: 5 });
    expect(tooShort.status).toBe(400);
    expect(tooShort.body.error.message).toContain('10 and 43200');
    const beyondPolicy = await graph('POST', taps, { lifetimeInMinutes: 600 });
    expect(beyondPolicy.status).toBe(400);
    expect(beyondPolicy.body.error.message).toContain('60 to 480');
  });

  it('refuses to create a pass while the policy is disabled', async () => {
    emulator.tenant.tapPolicy.state = 'disabled';
    try {
      const answer = await graph('POST', taps, {});
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toContain('TemporaryAccessPass');
    } finally {
      emulator.tenant.tapPolicy.state = 'enabled';
    }
  });

  it('marks a future-dated pass NotYetValid', async () => {
    const start = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const created = await graph('POST', taps, { lifetimeInMinutes: 60, startDateTime: start });
    expect(created.body).toMatchObject({ isUsable: false, methodUsabilityReason: 'NotYetValid' });
    expect(Date.parse(created.body.startDateTime)).toBe(Date.parse(start));
  });

  it('serves the TAP policy with its targets', async () => {
    const answer = await graph(
      'GET',
      '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass',
    );
    expect(answer.body).toMatchObject({
      id: 'TemporaryAccessPass',
      state: 'enabled',
      defaultLifetimeInMinutes: 60,
      defaultLength: 8,
      minimumLifetimeInMinutes: 60,
      maximumLifetimeInMinutes: 480,
      isUsableOnce: false,
      includeTargets: [{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }],
    });
  });
});

describe('$batch', () => {
  it('answers each sub-request and records them individually', async () => {
    const before = emulator.calls.length;
    const answer = await graph('POST', '/$batch', {
      requests: [
        { id: '1', method: 'GET', url: `/users/${users.ava}?$select=id` },
        { id: '2', method: 'GET', url: `/users/${users.olly}/manager` },
        {
          id: '3',
          method: 'POST',
          url: `/users/${users.ada}/checkMemberGroups`,
          body: { groupIds: [groups.privileged] },
          headers: { 'Content-Type': 'application/json' },
        },
      ],
    });
    expect(answer.status).toBe(200);
    const byId = Object.fromEntries(answer.body.responses.map((r: { id: string }) => [r.id, r]));
    expect(byId['1']).toMatchObject({ status: 200, body: { id: users.ava } });
    expect(byId['2']).toMatchObject({
      status: 404,
      body: { error: { code: 'Request_ResourceNotFound' } },
    });
    expect(byId['3']).toMatchObject({ status: 200, body: { value: [groups.privileged] } });
    const recorded = emulator.calls.slice(before);
    expect(recorded.filter((c) => c.viaBatch)).toHaveLength(3);
    expect(recorded.filter((c) => !c.viaBatch).map((c) => c.path)).toEqual(['/$batch']);
  });

  it('refuses more than 20 requests with 400', async () => {
    const requests = Array.from({ length: 21 }, (_, i) => ({
      id: String(i),
      method: 'GET',
      url: `/users/${users.ava}`,
    }));
    const answer = await graph('POST', '/$batch', { requests });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain('20');
  });

  it('returns an injected 429 as that sub-response, with Retry-After', async () => {
    emulator.inject({ path: /\/manager$/, status: 429, retryAfterSeconds: 7 });
    const answer = await graph('POST', '/$batch', {
      requests: [
        { id: 'm', method: 'GET', url: `/users/${users.ava}/manager` },
        { id: 'u', method: 'GET', url: `/users/${users.ava}` },
      ],
    });
    const byId = Object.fromEntries(answer.body.responses.map((r: { id: string }) => [r.id, r]));
    expect(byId.m).toMatchObject({ status: 429, headers: { 'Retry-After': '7' } });
    expect(byId.u.status).toBe(200);
  });
});

describe('faults, latency and permissions', () => {
  it('answers an injected fault the given number of times, then normally', async () => {
    emulator.inject({ method: 'GET', path: /^\/organization$/, status: 503, times: 2 });
    expect((await graph('GET', '/organization')).status).toBe(503);
    const second = await graph('GET', '/organization');
    expect(second.status).toBe(503);
    expect(second.body.error.code).toBe('serviceNotAvailable');
    expect((await graph('GET', '/organization')).status).toBe(200);
  });

  it('sends Retry-After with an injected 429', async () => {
    emulator.inject({ path: /^\/organization$/, status: 429, retryAfterSeconds: 3 });
    const answer = await graph('GET', '/organization');
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('3');
  });

  it('delays matching requests by the set latency', async () => {
    emulator.setLatency(150, /^\/organization$/);
    const started = performance.now();
    await graph('GET', '/organization');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    emulator.setLatency(0, /^\/organization$/);
    const again = performance.now();
    await graph('GET', `/users/${users.ava}`);
    expect(performance.now() - again).toBeLessThan(140);
  });

  it('refuses every endpoint needing a denied permission until it is granted', async () => {
    emulator.denyPermission('UserAuthenticationMethod.ReadWrite.All');
    const methods = await graph('GET', `/users/${users.ava}/authentication/methods`);
    expect(methods.status).toBe(403);
    expect(methods.body.error).toMatchObject({
      code: 'Authorization_RequestDenied',
      message: 'Insufficient privileges to complete the operation.',
    });
    const tap = await graph(
      'POST',
      `/users/${users.ava}/authentication/temporaryAccessPassMethods`,
      {},
    );
    expect(tap.status).toBe(403);
    expect((await graph('GET', `/users/${users.ava}`)).status).toBe(200);
    emulator.grantPermission('UserAuthenticationMethod.ReadWrite.All');
    expect((await graph('GET', `/users/${users.ava}/authentication/methods`)).status).toBe(200);
  });

  it('records calls with path, query, body and status', async () => {
    await graph('POST', `/users/${users.hana}/checkMemberGroups`, { groupIds: [groups.helpdesk] });
    const [call] = emulator.callsTo('POST', /checkMemberGroups$/).slice(-1);
    expect(call).toEqual({
      method: 'POST',
      path: `/users/${users.hana}/checkMemberGroups`,
      query: {},
      body: { groupIds: [groups.helpdesk] },
      status: 200,
      viaBatch: false,
    });
  });
});

describe('risk, audit log and Teams app installation', () => {
  it('answers risky users and 404 for users without risk', async () => {
    const olly = await graph('GET', `/identityProtection/riskyUsers/${users.olly}`);
    expect(olly.body).toMatchObject({ id: users.olly, riskLevel: 'low', riskState: 'atRisk' });
    expect((await graph('GET', `/identityProtection/riskyUsers/${users.ava}`)).status).toBe(404);
  });

  it('filters directory audits by target and time, newest first, with paging', async () => {
    const now = Date.now();
    emulator.tenant.directoryAudits.push(
      ...[1, 2, 40].map((daysAgo, i) => ({
        id: `audit-${i}`,
        activityDisplayName: 'User registered security info',
        activityDateTime: new Date(now - daysAgo * 86_400_000).toISOString(),
        category: 'UserManagement',
        targetUserId: users.hana,
        modifiedProperties: [],
      })),
    );
    const since = new Date(now - 14 * 86_400_000).toISOString();
    const filter = encodeURIComponent(
      `targetResources/any(t:t/id eq '${users.hana}') and activityDateTime ge ${since}`,
    );
    const first = await graph('GET', `/auditLogs/directoryAudits?$filter=${filter}&$top=1`);
    expect(first.body.value).toHaveLength(1);
    expect(first.body.value[0].id).toBe('audit-0');
    const nextLink: string = first.body['@odata.nextLink'];
    expect(nextLink.startsWith(`${emulator.url}/v1.0/auditLogs/directoryAudits?`)).toBe(true);
    const second = (await (await fetch(nextLink)).json()) as Answer['body'];
    expect(second.value.map((a: { id: string }) => a.id)).toEqual(['audit-1']);
    expect(second['@odata.nextLink']).toBeUndefined();
  });

  it('installs an app once (409 after), finds it by app id and answers its chat', async () => {
    const bind = {
      'teamsApp@odata.bind': `https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/${DEMO.teamsAppId}`,
    };
    expect((await graph('POST', `/users/${users.hugo}/teamwork/installedApps`, bind)).status).toBe(
      201,
    );
    const again = await graph('POST', `/users/${users.hugo}/teamwork/installedApps`, bind);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('Conflict');

    const filter = encodeURIComponent(`teamsApp/id eq '${DEMO.teamsAppId}'`);
    const list = await graph(
      'GET',
      `/users/${users.hugo}/teamwork/installedApps?$expand=teamsApp&$filter=${filter}`,
    );
    expect(list.body.value).toHaveLength(1);
    expect(list.body.value[0].teamsApp.id).toBe(DEMO.teamsAppId);
    const chat = await graph(
      'GET',
      `/users/${users.hugo}/teamwork/installedApps/${list.body.value[0].id}/chat`,
    );
    expect(chat.body.id).toMatch(/^19:.+@unq\.gbl\.spaces$/);
  });

  it('answers an organization readiness ping', async () => {
    const answer = await graph('GET', '/organization?$select=id');
    expect(answer.body).toEqual({ value: [{ id: DEMO.tenantId }] });
  });
});
