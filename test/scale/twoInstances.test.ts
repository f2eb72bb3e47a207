/**
 * Two TapDesk instances behind one load balancer, sharing one Azure Table store (Azurite): every
 * click may land on either, at the same moment, and still one pass is created.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { demoEnv } from '../../src/demo/demoConfig.js';
import {
  startDirectoryEmulator,
  type DirectoryEmulator,
} from '../../src/demo/directoryEmulator.js';
import { loadDemoTenant } from '../../src/demo/tenantSeed.js';
import { startTapDesk, type RunningTapDesk } from '../../src/index.js';
import { createLogger } from '../../src/logger.js';
import {
  HELPDESK_CHANNEL,
  invoke,
  message,
  postActivity,
  type From,
} from '../support/activities.js';
import { clicksOn, type Click } from './clicks.js';
import { startAzurite, type Azurite } from '../support/azurite.js';
import { startConnectorEmulator, type ConnectorEmulator } from '../support/connectorEmulator.js';
import { PEOPLE, testClock, textOf, type TestClock } from '../support/scenario.js';

const { ava, maya, hugo, hana } = PEOPLE;
const TAP_POST = /temporaryAccessPassMethods$/;

describe('two instances on one Azure Table store', () => {
  let azurite: Azurite;
  let directory: DirectoryEmulator;
  let connector: ConnectorEmulator;
  let c: ReturnType<typeof clicksOn>;
  let clock: TestClock;
  let a: RunningTapDesk;
  let b: RunningTapDesk;
  const logs: string[] = [];

  async function instance(): Promise<RunningTapDesk> {
    const result = loadConfig({
      ...demoEnv({
        graphBaseUrl: directory.url,
        serviceUrl: connector.url,
        sqlitePath: '/nonexistent/unused.sqlite',
        port: 0,
      }),
      STORE: 'azure-tables',
      AZURE_TABLES_CONNECTION_STRING: azurite.connectionString,
    });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const logger = createLogger('debug', { write: (line: string) => void logs.push(line) });
    return startTapDesk(result.config, {
      logger,
      now: () => clock.now(),
      sweepIntervalMs: 3_600_000,
    });
  }

  beforeEach(async () => {
    azurite = await startAzurite();
    directory = await startDirectoryEmulator({ seed: loadDemoTenant() });
    connector = await startConnectorEmulator();
    c = clicksOn(connector);
    clock = testClock();
    [a, b] = [await instance(), await instance()];
  }, 30_000);

  afterEach(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([directory.close(), connector.close(), azurite.stop()]);
  });

  const settle = async () => {
    for (const bot of [a, b]) expect(await bot.services.background.idle(15_000)).toBe(true);
  };
  const say = (bot: RunningTapDesk, who: From, text: string) =>
    postActivity(bot.url, message(text, who, { serviceUrl: connector.url }));
  const click = (bot: RunningTapDesk, activity: Click) => c.post(bot.url, activity);

  /** Ava asks on A, Maya confirms on B, Hugo ticks the checks on A then B. */
  async function readyToApprove(): Promise<string> {
    expect((await say(a, ava, 'I lost my phone')).status).toBeLessThan(300);
    const offer = connector.log.findLast(
      (e) => e.conversationId === `a:personal-${ava.aadObjectId}`,
    );
    expect((await click(b, c.personal(ava, 'submitLostPhone', {}, offer?.activityId))).status).toBe(
      200,
    );
    await settle();
    const [request] = await a.services.store.listOpenRequests();
    const requestId = request!.id;
    const managerCard = connector.log.find((e) => textOf(e.activity).includes('attestConfirm'));
    const attest = invoke('attestConfirm', { requestId }, maya, {
      serviceUrl: connector.url,
      conversationId: managerCard!.conversationId,
      replyToId: managerCard!.activityId,
    });
    expect((await click(b, attest)).text).toContain('You answered');
    await click(
      a,
      c.onChannelCard(hugo, 'toggleCheck', { requestId, check: 'callback', done: true }),
    );
    await click(
      b,
      c.onChannelCard(hugo, 'toggleCheck', { requestId, check: 'identity', done: true }),
    );
    await settle();
    expect((await b.services.store.getRequest(requestId))?.state).toBe('awaiting_approval');
    return requestId;
  }

  it('two agents approving on two instances at once, a replay and two sweeps make one pass', async () => {
    const requestId = await readyToApprove();
    const hugoApproves = c.onChannelCard(hugo, 'approve', { requestId });
    const [first, second] = await Promise.all([
      click(a, hugoApproves),
      click(b, c.onChannelCard(hana, 'approve', { requestId })),
    ]);
    await settle();
    const replay = await click(b, hugoApproves);
    await settle();

    expect(directory.callsTo('POST', TAP_POST)).toHaveLength(1);
    const request = await a.services.store.getRequest(requestId);
    expect(request?.state).toBe('pass_issued');
    const approver = request!.approver!.name;
    const loser = approver === hugo.name ? second : first;
    expect(loser.text).toContain(`${approver} already approved this request`);
    expect(replay.text).toContain('already approved this request');

    clock.advance(11);
    await Promise.all([a.sweep(), b.sweep(), a.sweep(), b.sweep()]);
    await settle();
    const trail = await b.services.store.auditForRequest(requestId);
    const ok = trail.filter((e) => e.outcome === 'ok').map((e) => e.action);
    for (const action of ['approved', 'issue_started', 'pass_issued', 'pass_scrubbed']) {
      expect(
        ok.filter((x) => x === action),
        action,
      ).toHaveLength(1);
    }
    const channelCards = connector.log.filter(
      (e) => e.op === 'create' && e.conversationId.startsWith(`${HELPDESK_CHANNEL};`),
    );
    expect(channelCards).toHaveLength(1);
    const current = textOf(connector.conversation(channelCards[0]!.conversationId));
    expect(current).toContain('Pass created, not yet handed over');
    expect(current).toContain(`"title":"Approved by","value":"${approver}"`);
    const pass = directory.issuedPasses[0]!;
    const agentChat = connector.log.find((e) => textOf(e.activity).includes(pass))!.conversationId;
    expect(textOf(connector.conversation(agentChat))).not.toContain(pass);
  }, 60_000);

  it('a store outage during a click answers "try again", changes nothing, and the same click works after', async () => {
    const requestId = await readyToApprove();
    const before = await a.services.store.getRequest(requestId);
    azurite.pause();
    let during: { status: number; text: string };
    try {
      expect((await fetch(`${a.url}/readyz`)).status).toBe(503);
      during = await click(a, c.onChannelCard(hugo, 'approve', { requestId }));
    } finally {
      azurite.resume();
    }
    expect(during.status).toBe(200);
    expect(during.text).toContain('cannot reach its request store');
    expect(during.text).toContain('try again');
    const after = await a.services.store.getRequest(requestId);
    expect(after?.etag).toBe(before?.etag);
    expect(directory.callsTo('POST', TAP_POST)).toHaveLength(0);

    const again = await click(b, c.onChannelCard(hugo, 'approve', { requestId }));
    expect(again.text).toContain('Approved, creating the pass');
    await settle();
    expect(directory.callsTo('POST', TAP_POST)).toHaveLength(1);
    expect((await b.services.store.getRequest(requestId))?.state).toBe('pass_issued');
  }, 60_000);
});
