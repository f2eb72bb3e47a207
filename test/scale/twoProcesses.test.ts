/**
 * Two TapDesk processes on different ports sharing one Azurite, as two App Service instances
 * share one Azure Table store: clicks land on either, at the same moment, while both run their
 * periodic check every second. One pass, one set of audit events.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoEnv } from '../../src/demo/demoConfig.js';
import {
  startDirectoryEmulator,
  type DirectoryEmulator,
} from '../../src/demo/directoryEmulator.js';
import { loadDemoTenant } from '../../src/demo/tenantSeed.js';
import type { Store } from '../../src/ports.js';
import { AzureTablesStore } from '../../src/store/azureTables.js';
import { HELPDESK_CHANNEL, invoke, message, postActivity } from '../support/activities.js';
import { clicksOn, type Click } from './clicks.js';
import { startAzurite, type Azurite } from '../support/azurite.js';
import { startConnectorEmulator, type ConnectorEmulator } from '../support/connectorEmulator.js';
import { PEOPLE, textOf } from '../support/scenario.js';

const { ava, maya, hugo, hana } = PEOPLE;
const TAP_POST = /temporaryAccessPassMethods$/;
const WAIT_MS = 15_000;

interface BotProcess {
  child: ChildProcess;
  url: string;
  logs: string[];
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('two TapDesk processes on one Azure Table store', () => {
  let azurite: Azurite;
  let directory: DirectoryEmulator;
  let connector: ConnectorEmulator;
  let c: ReturnType<typeof clicksOn>;
  let store: Store;
  const bots: BotProcess[] = [];

  async function startBot(): Promise<BotProcess> {
    const env = {
      ...process.env,
      ...demoEnv({
        graphBaseUrl: directory.url,
        serviceUrl: connector.url,
        sqlitePath: '/nonexistent/unused.sqlite',
        port: 0,
      }),
      STORE: 'azure-tables',
      AZURE_TABLES_CONNECTION_STRING: azurite.connectionString,
      SWEEP_INTERVAL_SECONDS: '1',
      LOG_LEVEL: 'info',
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => logs.push(line));
    const url = await until('the bot to listen', () => {
      for (const line of logs) {
        const parsed = JSON.parse(line) as { msg?: string; url?: string };
        if (parsed.msg === 'TapDesk is listening' && parsed.url) return parsed.url;
      }
      return child.exitCode === null ? undefined : 'exited';
    });
    if (url === 'exited') throw new Error(`a bot process exited early: ${logs.join('\n')}`);
    return { child, url, logs };
  }

  beforeAll(async () => {
    azurite = await startAzurite();
    directory = await startDirectoryEmulator({ seed: loadDemoTenant() });
    connector = await startConnectorEmulator();
    c = clicksOn(connector);
    bots.push(await startBot(), await startBot());
    store = await AzureTablesStore.open({ connectionString: azurite.connectionString });
  }, 60_000);

  afterAll(async () => {
    for (const bot of bots) {
      if (bot.child.exitCode === null) {
        const exited = new Promise((resolve) => bot.child.once('exit', resolve));
        bot.child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        bot.child.kill('SIGKILL');
      }
    }
    await store?.close();
    await Promise.all([directory?.close(), connector?.close(), azurite?.stop()]);
  }, 30_000);

  const [a, b] = [() => bots[0]!, () => bots[1]!];
  const post = (bot: BotProcess, activity: Click) => c.post(bot.url, activity);

  it('approve on both at once, a replay on the other, sweeps on both: one pass and one trail', async () => {
    await postActivity(a().url, message('I lost my phone', ava, { serviceUrl: connector.url }));
    const offer = connector.log.findLast(
      (e) => e.conversationId === `a:personal-${ava.aadObjectId}`,
    );
    expect(
      (await post(b(), c.personal(ava, 'submitLostPhone', {}, offer?.activityId))).status,
    ).toBe(200);
    const requestId = await until('the request to be stored', async () => {
      const [request] = await store.listOpenRequests();
      return request?.cards.channel ? request.id : undefined;
    });
    const managerCard = await until('the manager card', () =>
      connector.log.find((e) => textOf(e.activity).includes('attestConfirm')),
    );
    await post(
      a(),
      invoke('attestConfirm', { requestId }, maya, {
        serviceUrl: connector.url,
        conversationId: managerCard.conversationId,
        replyToId: managerCard.activityId,
      }),
    );
    await post(
      b(),
      c.onChannelCard(hugo, 'toggleCheck', { requestId, check: 'callback', done: true }),
    );
    await post(
      a(),
      c.onChannelCard(hugo, 'toggleCheck', { requestId, check: 'identity', done: true }),
    );
    expect((await store.getRequest(requestId))?.state).toBe('awaiting_approval');

    const hugoApproves = c.onChannelCard(hugo, 'approve', { requestId });
    const [first, second] = await Promise.all([
      post(a(), hugoApproves),
      post(b(), c.onChannelCard(hana, 'approve', { requestId })),
    ]);
    const issued = await until('the pass to be recorded', async () => {
      const request = await store.getRequest(requestId);
      return request?.state === 'pass_issued' ? request : undefined;
    });
    const replay = await post(b(), hugoApproves);
    const approver = issued.approver!.name;
    expect((approver === hugo.name ? second : first).text).toContain(
      `${approver} already approved this request`,
    );
    expect(replay.text).toContain('already approved this request');

    // Both processes sweep every second; give them several rounds.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(directory.callsTo('POST', TAP_POST)).toHaveLength(1);
    const trail = await store.auditForRequest(requestId);
    const ok = trail.filter((e) => e.outcome === 'ok').map((e) => e.action);
    for (const action of [
      'submitted',
      'sent_for_verification',
      'approved',
      'issue_started',
      'pass_issued',
    ]) {
      expect(
        ok.filter((x) => x === action),
        action,
      ).toHaveLength(1);
    }
    const channelCards = connector.log.filter(
      (e) => e.op === 'create' && e.conversationId.startsWith(`${HELPDESK_CHANNEL};`),
    );
    expect(channelCards).toHaveLength(1);
    expect(textOf(connector.conversation(channelCards[0]!.conversationId))).toContain(
      `"title":"Approved by","value":"${approver}"`,
    );
    const pass = directory.issuedPasses[0]!;
    const holders = new Set(
      connector.log.filter((e) => textOf(e).includes(pass)).map((e) => e.conversationId),
    );
    expect(holders.size).toBe(1);
    for (const bot of bots) expect(bot.logs.join('\n')).not.toContain(pass);
  }, 60_000);
});
