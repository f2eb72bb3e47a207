/**
 * The behaviour every {@link Store} adapter must show, as one vitest `describe` block. An adapter's
 * test file calls {@link describeStoreContract} with a factory for a fresh, empty store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  REQUEST_STATES,
  TERMINAL_STATES,
  type NewTapRequest,
  type TapRequest,
} from '../../src/domain/request.js';
import { ConflictError, type ConversationRef, type Store } from '../../src/ports.js';
import { aChecklist, anAuditEvent, aRequest } from '../support/factories.js';

/** What an adapter's factory hands the contract suite for one test. */
export interface StoreUnderTest {
  /** A fresh store with no data. */
  store: Store;
  /**
   * Opens a new store on the same data, as a restarted process would. The suite closes `store`
   * before calling it. Adapters that cannot restart leave it out and the restart case is skipped.
   */
  reopen?: () => Promise<Store>;
  /** Closes every store the factory handed out (close is idempotent) and removes the data. */
  cleanup: () => Promise<void>;
}

const at = (minute: number): string => new Date(Date.UTC(2025, 5, 2, 9, minute)).toISOString();

const ids = (requests: readonly TapRequest[]): string[] => requests.map((r) => r.id);

const AVA = 'a0000000-0000-4000-8000-000000000001';
const NINA = 'a0000000-0000-4000-8000-000000000007';

function channelRef(conversationId: string): ConversationRef {
  return {
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/teams/',
    conversation: {
      id: conversationId,
      isGroup: true,
      conversationType: 'channel',
      name: 'Helpdesk',
      tenantId: 'c0000000-0000-4000-8000-000000000001',
    },
  };
}

export function describeStoreContract(
  name: string,
  makeStore: () => Promise<StoreUnderTest>,
): void {
  describe(`${name} — Store contract`, () => {
    let subject: StoreUnderTest;
    let store: Store;

    beforeEach(async () => {
      subject = await makeStore();
      store = subject.store;
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    async function created(overrides: Partial<NewTapRequest> = {}): Promise<TapRequest> {
      return store.createRequest(aRequest(overrides));
    }

    describe('requests', () => {
      it('reads a created request back exactly as written, with an etag', async () => {
        const request = aRequest({
          manager: null,
          checks: { callback: true, manager: false },
          flags: ['mobile_changed'],
          cards: { channel: { conversationId: '19:helpdesk@thread.tacv2', activityId: '1' } },
          pass: {
            methodId: 'tap-1',
            issuedAt: at(0),
            startsAt: at(0),
            expiresAt: at(60),
            deliveredAt: null,
            scrubbedAt: null,
          },
        });
        const stored = await store.createRequest(request);

        expect(stored.etag).toEqual(expect.any(String));
        expect(stored.etag).not.toBe('');
        expect(stored).toEqual({ ...request, etag: stored.etag });
        expect(await store.getRequest(request.id)).toEqual(stored);
      });

      it('answers undefined for a request that was never created', async () => {
        expect(await store.getRequest('no-such-request')).toBeUndefined();
      });

      it('refuses a second request with the same id and keeps the first', async () => {
        const first = await created({ reason: 'first' });

        await expect(
          store.createRequest(aRequest({ id: first.id, reason: 'second' })),
        ).rejects.toBeInstanceOf(ConflictError);
        expect((await store.getRequest(first.id))?.reason).toBe('first');
      });

      it('lets only the first of two writers holding the same etag win', async () => {
        const read = await created();
        const byHugo = { ...read, assignee: { id: 'hugo', name: 'Hugo Helpdesk' } };
        const byHana = { ...read, assignee: { id: 'hana', name: 'Hana Helpdesk' } };

        const won = await store.updateRequest(byHugo);
        await expect(store.updateRequest(byHana)).rejects.toBeInstanceOf(ConflictError);

        const now = await store.getRequest(read.id);
        expect(now?.assignee?.name).toBe('Hugo Helpdesk');
        expect(now?.etag).toBe(won.etag);
      });

      it('lets exactly one of several simultaneous writers with the same etag win', async () => {
        const read = await created();
        const results = await Promise.allSettled(
          ['a', 'b', 'c', 'd', 'e'].map((who) =>
            store.updateRequest({ ...read, reason: `written by ${who}` }),
          ),
        );

        const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(4);
        for (const error of lost) expect(error).toBeInstanceOf(ConflictError);
        expect(await store.getRequest(read.id)).toEqual(won[0]);
      });

      it('gives each write a new etag and refuses every older one', async () => {
        const v1 = await created();
        const v2 = await store.updateRequest({ ...v1, state: 'awaiting_approval' });
        const v3 = await store.updateRequest({ ...v2, state: 'approved' });

        expect(new Set([v1.etag, v2.etag, v3.etag]).size).toBe(3);
        expect(v3).toEqual({ ...v1, state: 'approved', etag: v3.etag });
        await expect(store.updateRequest({ ...v1, state: 'denied' })).rejects.toBeInstanceOf(
          ConflictError,
        );
        await expect(store.updateRequest({ ...v2, state: 'denied' })).rejects.toBeInstanceOf(
          ConflictError,
        );
        expect((await store.getRequest(v1.id))?.state).toBe('approved');
      });

      it('refuses an etag that was never issued', async () => {
        const read = await created();
        await expect(store.updateRequest({ ...read, etag: 'made-up' })).rejects.toBeInstanceOf(
          ConflictError,
        );
      });

      it('fails to update a request that was never created, and creates nothing', async () => {
        const ghost = { ...aRequest(), etag: '1' };

        await expect(store.updateRequest(ghost)).rejects.toThrow(/does not exist|not found/i);
        expect(await store.getRequest(ghost.id)).toBeUndefined();
      });

      it('hands out copies: changing a returned request changes nothing stored', async () => {
        const stored = await created({ checks: { callback: false } });
        stored.checks['callback'] = true;
        stored.flags.push('tampered');
        const read = await store.getRequest(stored.id);
        if (read === undefined) throw new Error('request vanished');
        read.reason = 'edited in memory';

        const again = await store.getRequest(stored.id);
        expect(again?.checks).toEqual({ callback: false });
        expect(again?.flags).toEqual([]);
        expect(again?.reason).not.toBe('edited in memory');
      });

      it('lists open requests oldest first, leaving out every terminal state', async () => {
        // Created in reverse time order so insertion order cannot pass for age order.
        const byState = new Map<string, TapRequest>();
        for (const [index, state] of [...REQUEST_STATES].reverse().entries()) {
          byState.set(state, await created({ state, createdAt: at(60 - index) }));
        }

        const open = await store.listOpenRequests();

        const expected = REQUEST_STATES.filter((s) => !TERMINAL_STATES.has(s)).map(
          (s) => byState.get(s)?.id,
        );
        expect(ids(open)).toEqual(expected);
        expect(open.map((r) => r.state)).not.toContain('completed');
      });

      it('drops a request from the open list once an update makes it terminal', async () => {
        const read = await created();
        await store.updateRequest({
          ...read,
          state: 'cancelled',
          outcomeReason: 'changed my mind',
        });

        expect(ids(await store.listOpenRequests())).not.toContain(read.id);
        expect(ids(await store.listRequestsInStates(['cancelled']))).toEqual([read.id]);
      });

      it("lists a requester's requests from `since` on (inclusive), oldest first", async () => {
        const nina = { ...aRequest().requester, id: NINA, name: 'Nina Newhire' };
        const tooOld = await created({ createdAt: at(0) });
        const later = await created({ createdAt: at(20), state: 'denied' });
        const onTheDot = await created({ createdAt: at(10) });
        await created({ createdAt: at(15), requester: nina });

        const found = await store.listRequestsByRequester(AVA, at(10));

        expect(ids(found)).toEqual([onTheDot.id, later.id]);
        expect(ids(found)).not.toContain(tooOld.id);
        expect(await store.listRequestsByRequester('nobody', at(0))).toEqual([]);
      });

      it('lists every request created at or after `since`, oldest first', async () => {
        const nina = { ...aRequest().requester, id: NINA, name: 'Nina Newhire' };
        await created({ createdAt: at(0) });
        const c = await created({ createdAt: at(30), state: 'completed' });
        const a = await created({ createdAt: at(10) });
        const b = await created({ createdAt: at(20), requester: nina });

        expect(ids(await store.listRequestsSince(at(10)))).toEqual([a.id, b.id, c.id]);
        expect(await store.listRequestsSince(at(31))).toEqual([]);
      });

      it('lists requests in the given states only, oldest first', async () => {
        const approved = await created({ state: 'approved', createdAt: at(20) });
        const issued = await created({ state: 'pass_issued', createdAt: at(10) });
        await created({ state: 'awaiting_approval', createdAt: at(5) });
        await created({ state: 'expired', createdAt: at(1) });

        expect(ids(await store.listRequestsInStates(['approved', 'pass_issued']))).toEqual([
          issued.id,
          approved.id,
        ]);
        expect(await store.listRequestsInStates(['failed'])).toEqual([]);
        expect(await store.listRequestsInStates([])).toEqual([]);
      });
    });

    describe('audit', () => {
      it('gives each appended event its own id and returns it as stored', async () => {
        const event = anAuditEvent({ outcome: 'refused', reason: 'not in the helpdesk group' });

        const first = await store.appendAudit(event);
        const second = await store.appendAudit(event);

        expect(first).toEqual({ ...event, id: expect.any(String) });
        expect(first.id).not.toBe(second.id);
        expect(await store.auditForRequest(event.requestId ?? '')).toEqual([first, second]);
      });

      it("keeps a request's events in append order, even with the same timestamp", async () => {
        const requestId = 'req-1';
        const actions = ['submit', 'attest', 'callback', 'approve', 'issue'];
        const appended = [];
        for (const action of actions) {
          appended.push(await store.appendAudit(anAuditEvent({ requestId, action, at: at(5) })));
        }
        await store.appendAudit(anAuditEvent({ requestId: 'req-2', at: at(5) }));
        await store.appendAudit(anAuditEvent({ requestId: null, action: 'sweep', at: at(5) }));

        const trail = await store.auditForRequest(requestId);

        expect(trail.map((e) => e.action)).toEqual(actions);
        expect(trail).toEqual(appended);
        expect(await store.auditForRequest('req-none')).toEqual([]);
      });

      it('returns events with since <= at < until, in time order with ties in append order', async () => {
        await store.appendAudit(anAuditEvent({ action: 'before', at: at(9) }));
        await store.appendAudit(anAuditEvent({ action: 'late', at: at(15) }));
        await store.appendAudit(anAuditEvent({ action: 'start-1', at: at(10) }));
        await store.appendAudit(anAuditEvent({ action: 'at-until', at: at(20) }));
        await store.appendAudit(anAuditEvent({ action: 'start-2', at: at(10) }));
        await store.appendAudit(anAuditEvent({ action: 'last-in', at: at(19) }));

        const window = await store.auditBetween(at(10), at(20));

        expect(window.map((e) => e.action)).toEqual(['start-1', 'start-2', 'late', 'last-in']);
        expect(await store.auditBetween(at(30), at(40))).toEqual([]);
      });
    });

    describe('conversation references', () => {
      it('files user and channel references apart even under the same id', async () => {
        const userRef = channelRef('a:1on1-with-ava');
        const chanRef = channelRef('19:helpdesk@thread.tacv2');
        await store.saveConversationRef({ user: 'same-id' }, userRef);
        await store.saveConversationRef({ channel: 'same-id' }, chanRef);

        expect(await store.getConversationRef({ user: 'same-id' })).toEqual(userRef);
        expect(await store.getConversationRef({ channel: 'same-id' })).toEqual(chanRef);
        expect(await store.getConversationRef({ user: 'someone-else' })).toBeUndefined();
      });

      it('overwrites a saved reference with the newer one', async () => {
        await store.saveConversationRef({ user: AVA }, channelRef('a:old'));
        await store.saveConversationRef({ user: AVA }, channelRef('a:new'));

        expect((await store.getConversationRef({ user: AVA }))?.conversation?.id).toBe('a:new');
      });
    });

    describe('checklists', () => {
      it('reads a created checklist back exactly as written, with an etag', async () => {
        const checklist = aChecklist({
          done: { backup: true },
          card: { conversationId: 'a:1on1', activityId: '7' },
        });

        const stored = await store.createChecklist(checklist);

        expect(stored).toEqual({ ...checklist, etag: expect.any(String) });
        expect(await store.getChecklist(checklist.id)).toEqual(stored);
        expect(await store.getChecklist('no-such-checklist')).toBeUndefined();
      });

      it('refuses a second checklist with the same id', async () => {
        const first = await store.createChecklist(aChecklist({ runbook: 'first' }));
        await expect(
          store.createChecklist(aChecklist({ id: first.id, runbook: 'second' })),
        ).rejects.toBeInstanceOf(ConflictError);
        expect((await store.getChecklist(first.id))?.runbook).toBe('first');
      });

      it('lets only the first of two ticks holding the same etag win', async () => {
        const read = await store.createChecklist(aChecklist());

        const won = await store.updateChecklist({ ...read, done: { backup: true } });
        await expect(
          store.updateChecklist({ ...read, done: { signIn: true } }),
        ).rejects.toBeInstanceOf(ConflictError);

        expect(won.etag).not.toBe(read.etag);
        expect(await store.getChecklist(read.id)).toEqual(won);
        expect(won.done).toEqual({ backup: true });
      });

      it('fails to update a checklist that was never created, and creates nothing', async () => {
        const ghost = { ...aChecklist(), etag: '1' };
        await expect(store.updateChecklist(ghost)).rejects.toThrow(/does not exist|not found/i);
        expect(await store.getChecklist(ghost.id)).toBeUndefined();
      });

      it("lists only the owner's checklists", async () => {
        const mine = await store.createChecklist(aChecklist({ ownerId: AVA, runbook: 'one' }));
        await store.createChecklist(aChecklist({ ownerId: NINA }));
        const alsoMine = await store.createChecklist(aChecklist({ ownerId: AVA, runbook: 'two' }));

        const listed = await store.listChecklistsByOwner(AVA);

        expect(listed.map((c) => c.id).sort()).toEqual([mine.id, alsoMine.id].sort());
        expect(await store.listChecklistsByOwner('nobody')).toEqual([]);
      });
    });

    describe('claims', () => {
      it('grants a claim once and refuses it ever after', async () => {
        expect(await store.claimOnce('reminder:req-1:2025-06-02')).toBe(true);
        expect(await store.claimOnce('reminder:req-1:2025-06-02')).toBe(false);
        expect(await store.claimOnce('reminder:req-1:2025-06-02')).toBe(false);
        expect(await store.claimOnce('reminder:req-2:2025-06-02')).toBe(true);
      });

      it('grants exactly one of several simultaneous claims', async () => {
        const results = await Promise.all(
          Array.from({ length: 8 }, () => store.claimOnce('sweep:2025-06-02T09:00')),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('restart', () => {
      it('keeps everything written before close after reopening', async ({ skip }) => {
        if (subject.reopen === undefined) return skip();
        const request = await created({ createdAt: at(1) });
        const updated = await store.updateRequest({ ...request, state: 'awaiting_approval' });
        const closed = await created({ state: 'completed', createdAt: at(2) });
        const event = await store.appendAudit(anAuditEvent({ requestId: request.id, at: at(3) }));
        await store.saveConversationRef({ user: AVA }, channelRef('a:ava'));
        await store.saveConversationRef({ channel: 'helpdesk' }, channelRef('19:helpdesk'));
        const checklist = await store.createChecklist(aChecklist({ done: { backup: true } }));
        await store.claimOnce('reminder:once');
        await store.close();

        const again = await subject.reopen();

        expect(await again.getRequest(request.id)).toEqual(updated);
        expect(await again.getRequest(closed.id)).toEqual(closed);
        expect(ids(await again.listOpenRequests())).toEqual([request.id]);
        expect(await again.auditForRequest(request.id)).toEqual([event]);
        expect(await again.auditBetween(at(0), at(10))).toEqual([event]);
        expect(await again.getConversationRef({ user: AVA })).toEqual(channelRef('a:ava'));
        expect(await again.getConversationRef({ channel: 'helpdesk' })).toEqual(
          channelRef('19:helpdesk'),
        );
        expect(await again.getChecklist(checklist.id)).toEqual(checklist);
        expect(await again.claimOnce('reminder:once')).toBe(false);
        // The etag read before the restart still guards the write after it.
        await expect(again.updateRequest({ ...request, state: 'denied' })).rejects.toBeInstanceOf(
          ConflictError,
        );
        expect((await again.updateRequest({ ...updated, state: 'approved' })).state).toBe(
          'approved',
        );
      });
    });
  });
}
