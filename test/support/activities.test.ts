import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ActivityTypes,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type TurnContext,
} from 'botbuilder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BOT_ID,
  DEMO_TENANT_ID,
  conversationUpdate,
  installationUpdate,
  invoke,
  message,
  postActivity,
  type From,
} from './activities.js';
import { startConnectorEmulator, type ConnectorEmulator } from './connectorEmulator.js';

const ava: From = { aadObjectId: 'a0000000-0000-4000-8000-000000000001', name: 'Ava Employee' };

let connector: ConnectorEmulator;
let server: Server;
let botUrl: string;
const seen: TurnContext['activity'][] = [];

/** A minimal bot on a real CloudAdapter: echoes messages and answers invokes with the verb. */
async function logic(context: TurnContext): Promise<void> {
  seen.push(context.activity);
  if (context.activity.type === ActivityTypes.Message) {
    await context.sendActivity(`echo: ${context.activity.text}`);
  } else if (context.activity.type === ActivityTypes.Invoke) {
    const value = context.activity.value as { action: { verb: string } };
    await context.sendActivity({
      type: ActivityTypes.InvokeResponse,
      value: { status: 200, body: { verb: value.action.verb } },
    });
  }
}

beforeAll(async () => {
  connector = await startConnectorEmulator();
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = Object.assign(req, {
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      // CloudAdapter speaks to a restify-shaped response; this is the part of it that it uses.
      const response = {
        socket: res.socket,
        status: (code: number) => (res.statusCode = code),
        header: (name: string, value: unknown) => res.setHeader(name, String(value)),
        send: (body: unknown) => {
          if (body !== undefined) res.setHeader('content-type', 'application/json');
          res.write(body === undefined ? '' : JSON.stringify(body));
        },
        end: () => res.end(),
      };
      void adapter.process(request, response, logic);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  botUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await connector.close();
});

describe('activity factories against a real CloudAdapter', () => {
  it('a 1:1 message reaches the bot and its reply lands in the same personal chat', async () => {
    const activity = message('help', ava, { serviceUrl: connector.url });

    const result = await postActivity(botUrl, activity);

    expect(result.status).toBe(200);
    const reply = await connector.waitFor((e) => e.activity?.text === 'echo: help');
    expect(reply.conversationId).toBe(activity.conversation?.id);
    expect(activity.conversation).toMatchObject({
      conversationType: 'personal',
      tenantId: DEMO_TENANT_ID,
    });
    expect(seen.at(-1)?.from).toEqual({
      id: `29:${ava.aadObjectId}`,
      aadObjectId: ava.aadObjectId,
      name: 'Ava Employee',
    });
  });

  it('a channel message mentions the bot and lives in a helpdesk thread', () => {
    const activity = message('queue', ava, { channel: true });

    expect(activity.text).toBe('<at>TapDesk</at> queue');
    expect(activity.entities).toEqual([
      expect.objectContaining({
        type: 'mention',
        mentioned: expect.objectContaining({ id: BOT_ID }),
      }),
    ]);
    expect(activity.conversation?.id).toBe(`19:helpdesk@thread.tacv2;messageid=${activity.id}`);
    expect(activity.channelData).toMatchObject({
      channel: { id: '19:helpdesk@thread.tacv2' },
      tenant: { id: DEMO_TENANT_ID },
      team: { id: expect.any(String) },
    });
  });

  it('an Action.Execute click comes back as the invoke response body', async () => {
    const activity = invoke('approve', { requestId: 'r1' }, ava, {
      serviceUrl: connector.url,
      replyToId: 'card-1',
    });

    const result = await postActivity(botUrl, activity);

    expect(result).toEqual({ status: 200, body: { verb: 'approve' } });
    expect(seen.at(-1)).toMatchObject({
      name: 'adaptiveCard/action',
      replyToId: 'card-1',
      value: { action: { type: 'Action.Execute', verb: 'approve', data: { requestId: 'r1' } } },
    });
  });

  it('installing the bot in personal scope names the bot among the members added', async () => {
    const update = conversationUpdate(['bot'], ava, { serviceUrl: connector.url });
    const install = installationUpdate(ava, 'add', { serviceUrl: connector.url });

    expect((await postActivity(botUrl, update)).status).toBe(200);
    expect((await postActivity(botUrl, install)).status).toBe(200);
    expect(seen.slice(-2).map((a) => a.type)).toEqual(['conversationUpdate', 'installationUpdate']);
    expect(update.membersAdded).toEqual([{ id: BOT_ID, name: 'TapDesk' }]);
    expect(install).toMatchObject({ action: 'add', recipient: { id: BOT_ID } });
  });

  it('every activity gets a fresh id', () => {
    expect(message('a', ava).id).not.toBe(message('a', ava).id);
  });
});
