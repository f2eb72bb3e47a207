import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TapRequest } from '../../src/domain/request.js';
import { StoreUnavailableError } from '../../src/ports.js';
import { PEOPLE, startScenario, type Scenario } from '../support/scenario.js';

const { ava, hugo } = PEOPLE;

describe('a pass that cannot be recorded is taken back', () => {
  let s: Scenario;
  beforeEach(async () => {
    s = await startScenario();
  });
  afterEach(async () => {
    await s.close();
  });

  it('deletes the pass in Graph, hides it from the agent, and lets the approver try again', async () => {
    const { requestId } = await s.submitLostPhone(ava);
    await s.verify(requestId, hugo);
    const store = s.h.bot.services.store;
    const update = store.updateRequest.bind(store);
    let failed = 0;
    store.updateRequest = async (request: TapRequest) => {
      if (request.state === 'pass_issued' && failed === 0) {
        failed += 1;
        throw new StoreUnavailableError(new Error('disk went away'));
      }
      return update(request);
    };

    const approved = await s.click(hugo, 'approve', { requestId }, s.channelCard());
    expect(approved.text).toContain('Approved, creating the pass');
    await s.settle();

    expect(failed).toBe(1);
    const pass = s.h.directory.issuedPasses[0]!;
    expect(s.h.directory.callsTo('DELETE', /temporaryAccessPassMethods\//)).toHaveLength(1);
    const hugoChat = await s.chatOf(hugo);
    expect(JSON.stringify(s.h.connector.conversation(hugoChat))).not.toContain(pass);
    expect(JSON.stringify(s.h.connector.conversation(hugoChat))).toContain('taken back');
    const request = await s.request(requestId);
    expect(request.state).toBe('approved');
    expect(request.lastError).toContain('could not record it');
    expect(request.pass).toBeNull();

    const retried = await s.click(hugo, 'retryIssue', { requestId }, s.channelCard());
    expect(retried.status).toBe(200);
    await s.settle();
    expect((await s.request(requestId)).state).toBe('pass_issued');
    expect(s.h.directory.issuedPasses).toHaveLength(2);
  });
});
