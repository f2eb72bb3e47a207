import { execFile } from 'node:child_process';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MANAGED_IDENTITY_FIX,
  PERMISSION_FIX,
  formatReport,
  runDoctor,
  type DoctorLine,
} from '../../src/cli/doctorChecks.js';
import { CONFIG_KEYS, type Env } from '../../src/config.js';
import { demoEnv } from '../../src/demo/demoConfig.js';
import {
  startDirectoryEmulator,
  type DirectoryEmulator,
} from '../../src/demo/directoryEmulator.js';
import { loadDemoTenant } from '../../src/demo/tenantSeed.js';
import { PERMISSION_PROBES } from '../../src/graph/permissionProbe.js';
import { GRAPH_OPERATIONS, GRAPH_PERMISSIONS } from '../../src/graph/permissions.js';

let emulator: DirectoryEmulator;
let env: Env;

beforeAll(async () => {
  emulator = await startDirectoryEmulator({ seed: loadDemoTenant() });
  env = demoEnv({
    graphBaseUrl: emulator.url,
    // The doctor never talks to Teams; nothing listens here.
    serviceUrl: 'http://127.0.0.1:9/',
    sqlitePath: '/nonexistent/doctor-never-opens-the-store.sqlite',
  });
});
afterEach(() => {
  emulator.reset();
});
afterAll(async () => {
  await emulator.close();
});

const marked = (lines: DoctorLine[], mark: DoctorLine['mark']) =>
  lines.filter((line) => line.mark === mark);

/** An unsigned JWT whose payload holds `claims`; the doctor reads it without verifying. */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

function credentialWith(claims: Record<string, unknown>): TokenCredential {
  return {
    getToken: async (): Promise<AccessToken> => ({
      token: jwt(claims),
      expiresOnTimestamp: Date.now() + 3_600_000,
    }),
  };
}

describe('permission probes', () => {
  it('each permission is probed with a call the adapter makes under that same permission', () => {
    const subjects = { userId: 'u', groupId: 'g', teamsAppId: undefined };
    for (const permission of GRAPH_PERMISSIONS) {
      const probe = PERMISSION_PROBES[permission](subjects);
      expect(GRAPH_OPERATIONS[probe.operation].permission, permission).toBe(permission);
      expect(['GET', 'POST'], permission).toContain(probe.method);
    }
  });
});

describe('doctor against the directory emulator', () => {
  it('reports every permission ok and passes against the demo tenant', async () => {
    const report = await runDoctor({ env });

    expect(report.ok).toBe(true);
    expect(report.lines.filter((l) => l.mark !== 'ok' && l.mark !== 'note')).toEqual([]);
    for (const permission of GRAPH_PERMISSIONS) {
      expect(
        report.lines.some((l) => l.mark === 'ok' && l.text.startsWith(permission)),
        permission,
      ).toBe(true);
    }
    expect(report.lines).toContainEqual(
      expect.objectContaining({ mark: 'ok', text: expect.stringContaining('"TapDesk Helpdesk"') }),
    );
  });

  it('probes the permissions with reads about a real helpdesk member', async () => {
    const before = emulator.calls.length;
    await runDoctor({ env });
    const calls = emulator.calls.slice(before);

    expect(calls.every((c) => c.method === 'GET' || /checkMemberGroups$/.test(c.path))).toBe(true);
    expect(calls.map((c) => c.path)).toContain(
      '/users/a0000000-0000-4000-8000-000000000003/authentication/methods',
    );
  });

  it('reports exactly the withdrawn permissions as MISSING, with the fix, and fails', async () => {
    emulator.denyPermission('UserAuthenticationMethod.ReadWrite.All');
    emulator.denyPermission('AuditLog.Read.All');

    const report = await runDoctor({ env });

    expect(report.ok).toBe(false);
    const missing = marked(report.lines, 'MISSING');
    expect(missing.map((l) => l.text.split(' ')[0])).toEqual([
      'UserAuthenticationMethod.ReadWrite.All',
      'AuditLog.Read.All',
    ]);
    for (const line of missing) {
      expect(line.text).toContain('— needed to ');
      expect(line.text).toContain(PERMISSION_FIX);
    }
    expect(missing[1]?.text).toContain('read the directory audit log for risk flags');
    expect(formatReport(report)).toContain(
      `MISSING  AuditLog.Read.All — needed to read the directory audit log for risk flags; ${PERMISSION_FIX}`,
    );
  });

  it('reports a missing optional permission without failing', async () => {
    emulator.denyPermission('IdentityRiskyUser.Read.All');

    const report = await runDoctor({ env });

    expect(marked(report.lines, 'MISSING')).toEqual([
      expect.objectContaining({
        text: expect.stringMatching(/^IdentityRiskyUser\.Read\.All \(optional\) — /),
        required: false,
      }),
    ]);
    expect(report.ok).toBe(true);
  });

  it('reports a helpdesk group that does not exist and fails', async () => {
    const unknownGroup = 'b0000000-0000-4000-8000-0000000000ff';
    const report = await runDoctor({ env: { ...env, HELPDESK_GROUP_ID: unknownGroup } });

    expect(report.ok).toBe(false);
    expect(marked(report.lines, 'FAIL')).toEqual([
      expect.objectContaining({
        text: expect.stringMatching(
          new RegExp(`^HELPDESK_GROUP_ID ${unknownGroup} is not a group in this tenant; .*Groups`),
        ),
      }),
    ]);
    // The permissions are still checked, about a user that does not exist.
    expect(marked(report.lines, 'MISSING')).toEqual([]);
  });

  it('reports an unset TEAMS_APP_ID and fails', async () => {
    const report = await runDoctor({ env: { ...env, TEAMS_APP_ID: '' } });

    expect(report.ok).toBe(false);
    expect(marked(report.lines, 'FAIL').map((l) => l.text)).toEqual([
      expect.stringMatching(/^TEAMS_APP_ID is not set/),
    ]);
  });

  it('prints one line per configuration problem and asks Graph nothing', async () => {
    const before = emulator.calls.length;
    const report = await runDoctor({
      env: { ...env, TENANT_ID: '', HELPDESK_CHANNEL_ID: 'general' },
    });

    expect(report.ok).toBe(false);
    expect(report.lines.map((l) => l.mark)).toEqual(['FAIL', 'FAIL']);
    expect(report.lines.map((l) => l.text).join('\n')).toMatch(
      /TENANT_ID[\s\S]*HELPDESK_CHANNEL_ID/,
    );
    expect(emulator.calls.length).toBe(before);
  });

  it("fails a write permission the token's roles claim lacks, though a read probe passes", async () => {
    const roles = GRAPH_PERMISSIONS.filter((p) => p !== 'UserAuthenticationMethod.ReadWrite.All');
    const report = await runDoctor({
      env,
      credential: credentialWith({
        appid: 'e0000000-0000-4000-8000-000000000001',
        roles: [...roles, 'UserAuthenticationMethod.Read.All'],
      }),
    });

    expect(report.ok).toBe(false);
    expect(marked(report.lines, 'MISSING')).toEqual([
      expect.objectContaining({
        text: expect.stringMatching(
          /^UserAuthenticationMethod\.ReadWrite\.All — the access token's roles claim does not include it/,
        ),
      }),
    ]);
    expect(report.lines).toContainEqual(
      expect.objectContaining({
        mark: 'ok',
        text: expect.stringContaining('for app e0000000-0000-4000-8000-000000000001'),
      }),
    );
  });

  it('passes when the token carries every permission', async () => {
    const report = await runDoctor({
      env,
      credential: credentialWith({ roles: [...GRAPH_PERMISSIONS] }),
    });

    expect(report.ok).toBe(true);
    expect(report.lines.filter((l) => /ReadWrite/.test(l.text) && l.mark === 'ok')).toHaveLength(2);
  });

  it('tells a managed identity to get the app role assigned, not to use App registrations', async () => {
    emulator.denyPermission('AuditLog.Read.All');
    const report = await runDoctor({
      // A client id without a secret or certificate names a user-assigned managed identity.
      env: { ...env, AZURE_CLIENT_ID: 'e0000000-0000-4000-8000-000000000002' },
      credential: credentialWith({
        roles: GRAPH_PERMISSIONS.filter((p) => p !== 'AuditLog.Read.All'),
      }),
    });

    expect(marked(report.lines, 'MISSING')).toEqual([
      expect.objectContaining({
        text: expect.stringMatching(
          /^AuditLog\.Read\.All — needed to .*; fix: an administrator assigns/,
        ),
      }),
    ]);
    expect(marked(report.lines, 'MISSING')[0]?.text).toContain(MANAGED_IDENTITY_FIX);
  });

  it('fails with the reason when the credential cannot get a token', async () => {
    const report = await runDoctor({
      env,
      credential: {
        getToken: async () => {
          throw Object.assign(new Error('AADSTS7000215: Invalid client secret provided.'), {
            name: 'AuthenticationError',
          });
        },
      },
    });

    expect(report.ok).toBe(false);
    expect(marked(report.lines, 'FAIL')).toEqual([
      expect.objectContaining({
        text: expect.stringContaining(
          'could not get a token for Microsoft Graph: AuthenticationError: AADSTS7000215',
        ),
      }),
    ]);
    expect(marked(report.lines, '?')).toHaveLength(GRAPH_PERMISSIONS.length);
  });

  it('reports a Graph read that does not answer in time as unknown', async () => {
    emulator.setLatency(1_000, /^\/auditLogs\//);

    const report = await runDoctor({ env, timeoutMs: 100 });

    expect(report.ok).toBe(false);
    expect(marked(report.lines, '?')).toEqual([
      expect.objectContaining({
        text: 'AuditLog.Read.All — could not check: Graph did not answer within 0.1 s',
      }),
    ]);
  });
});

describe('npm run doctor', () => {
  /** The parent's environment without TapDesk settings, so only the demo's apply. */
  const childEnv = (overrides: Env): NodeJS.ProcessEnv => {
    const base: NodeJS.ProcessEnv = { ...process.env };
    for (const key of CONFIG_KEYS) delete base[key];
    return { ...base, ...overrides };
  };

  const run = (overrides: Env) =>
    new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(
        'npx',
        ['tsx', 'src/cli/doctor.ts'],
        { env: childEnv(overrides), timeout: 15_000 },
        (error, stdout) => resolve({ code: error ? (error.code as number | null) : 0, stdout }),
      );
    });

  it('prints the report and exits 0 when all is well, 1 when a permission is missing', async () => {
    const healthy = await run(env);
    expect(healthy.stdout).toContain('ok       User.Read.All');
    expect(healthy.code).toBe(0);

    emulator.denyPermission('AuditLog.Read.All');
    const broken = await run(env);
    expect(broken.stdout).toContain('MISSING  AuditLog.Read.All — needed to');
    expect(broken.code).toBe(1);
  });
});
