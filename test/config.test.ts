import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, loadConfig, type Env } from '../src/config.js';
import { readFileSync } from 'node:fs';

const TENANT = 'c0000000-0000-4000-8000-000000000001';
const APP = 'e0000000-0000-4000-8000-000000000001';

const production: Env = {
  TENANT_ID: TENANT,
  MicrosoftAppId: APP,
  MicrosoftAppPassword: 'secret',
  MicrosoftAppTenantId: TENANT,
  HELPDESK_CHANNEL_ID: '19:helpdesk@thread.tacv2',
  HELPDESK_GROUP_ID: 'b0000000-0000-4000-8000-000000000001',
};

const local: Env = {
  TAPDESK_LOCAL_MODE: 'true',
  TENANT_ID: TENANT,
  GRAPH_BASE_URL: 'http://127.0.0.1:5000',
  HELPDESK_CHANNEL_ID: '19:helpdesk@thread.tacv2',
  HELPDESK_GROUP_ID: 'b0000000-0000-4000-8000-000000000001',
};

function problems(env: Env): string[] {
  const result = loadConfig(env);
  return result.ok ? [] : result.problems;
}

describe('configuration', () => {
  it('accepts a complete production configuration and fills the documented defaults', () => {
    const result = loadConfig(production);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { config } = result;
    expect(config.port).toBe(3978);
    expect(config.localMode).toBe(false);
    expect(config.graph.baseUrl).toBe('https://graph.microsoft.com');
    expect(config.teams.serviceUrl).toBe('https://smba.trafficmanager.net/teams/');
    expect(config.tapLifetimeMinutes).toBe(60);
    expect(config.requestTtlMinutes).toBe(240);
    expect(config.maxRequestsPerDay).toBe(3);
    expect(config.store).toEqual({ kind: 'sqlite', path: './data/tapdesk.sqlite' });
    expect(config.logLevel).toBe('info');
    expect(config.security.channelId).toBeUndefined();
  });

  it('is frozen all the way down', () => {
    const result = loadConfig(production);
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(Object.isFrozen(result.config)).toBe(true);
    expect(Object.isFrozen(result.config.helpdesk)).toBe(true);
  });

  it('reports a missing TENANT_ID in one line', () => {
    const lines = problems({ ...production, TENANT_ID: undefined });
    expect(lines).toEqual([expect.stringContaining('TENANT_ID is required')]);
  });

  it('refuses an empty MicrosoftAppId outside local mode', () => {
    expect(problems({ ...production, MicrosoftAppId: '' })).toEqual([
      expect.stringContaining('MicrosoftAppId is required outside local mode'),
    ]);
  });

  it('allows an empty MicrosoftAppId and an http Graph in local mode, with a warning', () => {
    const result = loadConfig(local);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.bot.appId).toBe('');
    expect(result.config.graph.baseUrl).toBe('http://127.0.0.1:5000');
    expect(result.warnings.join('\n')).toContain('TAPDESK_LOCAL_MODE is on');
  });

  it('refuses an http:// Graph URL outside local mode', () => {
    expect(problems({ ...production, GRAPH_BASE_URL: 'http://graph.example' })).toEqual([
      'GRAPH_BASE_URL must use https:// outside local mode',
    ]);
  });

  it('names a malformed GUID', () => {
    expect(problems({ ...production, HELPDESK_GROUP_ID: 'helpdesk' })).toEqual([
      expect.stringContaining('HELPDESK_GROUP_ID must be a GUID'),
    ]);
  });

  it('names a non-numeric or out-of-range lifetime', () => {
    expect(problems({ ...production, TAP_LIFETIME_MINUTES: 'an hour' })).toEqual([
      expect.stringContaining('TAP_LIFETIME_MINUTES must be a whole number'),
    ]);
    expect(problems({ ...production, TAP_LIFETIME_MINUTES: '5' })).toEqual([
      expect.stringContaining('TAP_LIFETIME_MINUTES must be at least 10'),
    ]);
  });

  it('gives one line per problem when several keys are wrong', () => {
    const lines = problems({
      ...production,
      TENANT_ID: 'x',
      PORT: 'eighty',
      STORE: 'postgres',
      HELPDESK_CHANNEL_ID: 'general',
    });
    expect(lines).toHaveLength(4);
    expect(lines.join('\n')).toMatch(/TENANT_ID.*\n.*PORT|PORT[\s\S]*TENANT_ID/);
  });

  it('keeps "unset" distinct from "false": only true or false are accepted for a flag', () => {
    expect(problems({ ...production, TAPDESK_LOCAL_MODE: 'yes' })).toEqual([
      expect.stringContaining('TAPDESK_LOCAL_MODE must be true or false'),
    ]);
    const unset = loadConfig(production);
    const off = loadConfig({ ...production, TAPDESK_LOCAL_MODE: 'false' });
    expect(unset.ok && off.ok && unset.config.localMode === off.config.localMode).toBe(true);
  });

  it('requires exactly one way to reach Azure Tables for STORE=azure-tables', () => {
    const only =
      'STORE=azure-tables needs exactly one of AZURE_TABLES_CONNECTION_STRING or AZURE_TABLES_ENDPOINT';
    expect(problems({ ...production, STORE: 'azure-tables' })).toEqual([only]);
    const endpoint = 'https://tapdesk.table.core.windows.net';
    const both = {
      AZURE_TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true',
      AZURE_TABLES_ENDPOINT: endpoint,
    };
    expect(problems({ ...production, STORE: 'azure-tables', ...both })).toEqual([only]);
    expect(
      problems({ ...production, STORE: 'azure-tables', AZURE_TABLES_ENDPOINT: 'http://x' }),
    ).toEqual([expect.stringContaining('AZURE_TABLES_ENDPOINT must be an https:// URL')]);
    const viaIdentity = loadConfig({
      ...production,
      STORE: 'azure-tables',
      AZURE_TABLES_ENDPOINT: endpoint,
    });
    expect(viaIdentity.ok && viaIdentity.config.store).toEqual({ kind: 'azure-tables', endpoint });
  });

  it('requires the bot tenant for a single-tenant bot and a password for a secret-based bot', () => {
    expect(problems({ ...production, MicrosoftAppTenantId: undefined })).toEqual([
      'MicrosoftAppTenantId is required when MicrosoftAppType is SingleTenant',
    ]);
    expect(problems({ ...production, MicrosoftAppPassword: undefined })).toEqual([
      'MicrosoftAppPassword is required when MicrosoftAppType is SingleTenant',
    ]);
  });

  it('refuses both a client secret and a certificate for Graph', () => {
    expect(
      problems({
        ...production,
        AZURE_CLIENT_ID: APP,
        AZURE_CLIENT_SECRET: 's',
        AZURE_CLIENT_CERTIFICATE_PATH: '/cert.pem',
      }),
    ).toEqual(['Set AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, not both']);
  });

  it('suggests the right name for a misspelled key', () => {
    const result = loadConfig({ ...production, HELPDESK_CHANEL_ID: '19:x@thread.tacv2' });
    expect(result.ok && result.warnings).toEqual([
      'HELPDESK_CHANEL_ID is not a TapDesk setting; did you mean HELPDESK_CHANNEL_ID?',
    ]);
  });

  it('documents every key in env.sample', () => {
    const sample = readFileSync(new URL('../env.sample', import.meta.url), 'utf8');
    for (const key of CONFIG_KEYS) {
      expect(sample, key).toMatch(new RegExp(`^# ?${key}=|^${key}=`, 'm'));
      expect(sample, `${key} has a comment`).toMatch(new RegExp(`#[^\\n]+\\n(# ?)?${key}=`));
    }
  });
});
