import { describe, expect, it } from 'vitest';
import { renderCardJson } from '../../src/cards.js';
import { REQUEST_STATES, type RequestState, type TapRequest } from '../../src/domain/request.js';
import { NO_MANAGER_CHECK } from '../../src/domain/verification.js';
import {
  agentCardData,
  cardFor,
  channelCardData,
  requesterCardData,
} from '../../src/flows/requestCards.js';
import {
  aPass,
  aRequest,
  anApprovedRequest,
  anIssuedRequest,
  minutesFromNow,
  NOW,
} from '../support/requestFactory.js';

/** The verbs of every Action.Execute in a card, nested ones included. */
function verbsIn(card: unknown): string[] {
  const verbs: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (typeof value === 'object' && value !== null) {
      const node = value as Record<string, unknown>;
      if (node['type'] === 'Action.Execute' && typeof node['verb'] === 'string') {
        verbs.push(node['verb']);
      }
      Object.values(node).forEach(visit);
    }
  };
  visit(card);
  return verbs;
}

const channelVerbs = (request: TapRequest): string[] =>
  verbsIn(renderCardJson('channelRequest', channelCardData(request)));

/** A request in the given state, with a pass once one would exist. */
function inState(state: RequestState): TapRequest {
  const withPass = state === 'pass_issued' || state === 'delivered' || state === 'completed';
  return withPass ? anIssuedRequest({ state }) : aRequest({ state });
}

const PASS = 'Xy7#kP2q';

describe('requesterCardData', () => {
  const escalated = aRequest({
    state: 'escalated',
    attestation: 'suspicious',
    outcomeReason: 'Maya Manager reported this request as suspicious',
  });

  it('tells an escalated requester only that the helpdesk will be in touch', () => {
    const data = requesterCardData(escalated);
    expect(data.message).toBe('Your request needs a closer look. The helpdesk will contact you.');
    const card = JSON.stringify(renderCardJson('requestStatus', data));
    expect(card).not.toMatch(/suspicious/i);
    expect(card).not.toContain('Maya');
    expect(card).not.toMatch(/report/i);
  });

  it('keeps the manager report out of the escalated card the refresh sends too', () => {
    const card = JSON.stringify(cardFor('requester', escalated).content);
    expect(card).not.toMatch(/suspicious/i);
    expect(card).not.toContain('Maya');
  });

  it('names the callback number by its last two digits only', () => {
    const waiting = requesterCardData(aRequest({ phoneOnFile: '+1 425 555 0142' }));
    expect(waiting.message).toContain('the number ending in 42 from the company directory');
    expect(JSON.stringify(waiting)).not.toContain('555');

    const issued = requesterCardData(anIssuedRequest({ phoneOnFile: '+1 425 555 0142' }));
    expect(issued.steps[0]?.text).toContain('your number ending in 42');
    expect(JSON.stringify(issued)).not.toContain('555');
  });

  it('says the helpdesk will find another way when the directory has no number', () => {
    const data = requesterCardData(aRequest({ phoneOnFile: null }));
    expect(data.message).toContain('the directory has no phone number for you');
    expect(data.message).not.toContain('ending in');
  });

  it('shows the checklist and "I\'m done" only while the pass is out', () => {
    for (const state of REQUEST_STATES) {
      const data = requesterCardData(inState(state));
      const passOut = state === 'pass_issued' || state === 'delivered';
      expect(data.steps.length > 0, state).toBe(passOut);
      expect(data.showDone, state).toBe(passOut);
    }
    expect(requesterCardData(anIssuedRequest()).steps).toHaveLength(4);
  });

  it('lets the requester cancel only before a pass exists', () => {
    const cancellable = REQUEST_STATES.filter(
      (state) => requesterCardData(inState(state)).canCancel,
    );
    expect(cancellable).toEqual([
      'submitted',
      'awaiting_verification',
      'awaiting_approval',
      'approved',
    ]);
  });

  it('offers the old phone for removal only once the request is completed', () => {
    const oldDevices = [{ id: 'auth-1', label: 'iPhone 12' }];
    expect(requesterCardData(inState('completed'), '', oldDevices).oldDevices).toEqual(oldDevices);
    expect(requesterCardData(inState('delivered'), '', oldDevices).oldDevices).toEqual([]);
  });
});

describe('agentCardData', () => {
  it('carries no pass when none is given', () => {
    const data = agentCardData(anIssuedRequest());
    expect(data.pass).toBe('');
    expect(data.showPass).toBe(false);
    expect(data.hiddenText).toBe(
      'The pass is no longer shown: it is shown for 10 minutes at most.',
    );
  });

  it('shows the pass it is given, and nothing saying it is hidden', () => {
    const data = agentCardData(anIssuedRequest(), { pass: PASS });
    expect(data.pass).toBe(PASS);
    expect(data.showPass).toBe(true);
    expect(data.hiddenText).toBe('');
    expect(JSON.stringify(renderCardJson('agentPass', data))).toContain(PASS);
  });

  it('says why the pass is hidden once it was delivered or the request closed', () => {
    const delivered = anIssuedRequest({
      state: 'delivered',
      pass: aPass({ deliveredAt: minutesFromNow(5).toISOString() }),
    });
    expect(agentCardData(delivered).hiddenText).toMatch(
      /^The pass is no longer shown: you marked it delivered at \{\{TIME\(2025-06-02T10:05:00Z\)\}\}\.$/,
    );
    const revoked = anIssuedRequest({ state: 'cancelled' });
    expect(agentCardData(revoked).hiddenText).toBe(
      'The pass is no longer shown: the request is cancelled.',
    );
  });

  it('never lets the refresh card show a pass', () => {
    const card = cardFor('agent', anIssuedRequest());
    expect(JSON.stringify(card.content)).not.toContain('Temporary Access Pass');
    expect(verbsIn(card.content)).toEqual(['deliver', 'revoke']);
  });

  it('offers Delivered only while the pass is issued and Revoke while it is out', () => {
    for (const state of REQUEST_STATES) {
      const data = agentCardData(inState(state));
      expect(data.canDeliver, state).toBe(state === 'pass_issued');
      expect(data.canRevoke, state).toBe(state === 'pass_issued' || state === 'delivered');
    }
  });
});

describe('channelCardData', () => {
  it('offers Approve only while the request is being verified', () => {
    const approvable = REQUEST_STATES.filter((state) => channelCardData(inState(state)).canApprove);
    expect(approvable).toEqual(['awaiting_verification', 'awaiting_approval']);
    for (const state of REQUEST_STATES) {
      expect(channelVerbs(inState(state)).includes('approve'), state).toBe(
        approvable.includes(state),
      );
    }
  });

  it('offers Retry only on an approved request whose last try failed and holds no lease', () => {
    const failedTry = anApprovedRequest({ lastError: 'Graph is throttling TapDesk.' });
    expect(channelCardData(failedTry).canRetry).toBe(true);
    expect(channelVerbs(failedTry)).toContain('retryIssue');
    expect(channelCardData(failedTry).lastError).toBe('Graph is throttling TapDesk.');

    expect(channelCardData(anApprovedRequest()).canRetry).toBe(false);
    const leased = {
      ...failedTry,
      issuing: { by: 'instance-2', until: minutesFromNow(1).toISOString() },
    };
    expect(channelCardData(leased).canRetry).toBe(false);
    expect(channelVerbs(leased)).not.toContain('retryIssue');
    for (const state of REQUEST_STATES.filter((s) => s !== 'approved')) {
      expect(channelCardData({ ...inState(state), lastError: 'boom' }).canRetry, state).toBe(false);
    }
  });

  it('never offers Deny once a pass exists', () => {
    for (const state of ['pass_issued', 'delivered', 'completed'] as const) {
      const request = inState(state);
      expect(request.pass).not.toBeNull();
      expect(channelCardData(request).canDeny, state).toBe(false);
      expect(channelVerbs(request), state).not.toContain('deny');
    }
  });

  it('offers Deny before the pass, but not while one is being created', () => {
    for (const state of ['submitted', 'awaiting_verification', 'awaiting_approval'] as const) {
      expect(channelCardData(inState(state)).canDeny, state).toBe(true);
    }
    expect(channelCardData(anApprovedRequest()).canDeny).toBe(true);
    const leased = anApprovedRequest({
      issuing: { by: 'instance-1', until: minutesFromNow(1).toISOString() },
    });
    expect(channelCardData(leased).canDeny).toBe(false);
  });

  it('marks the flags "(reviewed)" once an agent reviewed them, and stops asking', () => {
    const flag = 'Manager changed on 2025-05-28, in the last 14 days';
    const before = channelCardData(aRequest({ flags: [flag] }));
    expect(before.flags).toEqual([{ text: flag }]);
    expect(before.canReviewFlags).toBe(true);

    const after = channelCardData(aRequest({ flags: [flag], flagsReviewed: true }));
    expect(after.flags).toEqual([{ text: `${flag} (reviewed)` }]);
    expect(after.canReviewFlags).toBe(false);
    expect(verbsIn(renderCardJson('channelRequest', after))).not.toContain('reviewFlags');
  });

  it('asks the agent to accept helpdesk-only verification when there is no manager', () => {
    const orphan = channelCardData(aRequest({ manager: null, attestation: 'no_manager' }));
    expect(orphan.checks.map((check) => check.id)).toEqual([
      'callback',
      'identity',
      NO_MANAGER_CHECK.id,
    ]);
    expect(orphan.checks[2]).toMatchObject({ label: NO_MANAGER_CHECK.label, mark: '☐' });
    expect(orphan.facts).toContainEqual({
      title: 'Manager',
      value: 'No manager in the directory: helpdesk verification only',
    });

    const managed = channelCardData(aRequest());
    expect(managed.checks.map((check) => check.id)).toEqual(['callback', 'identity']);
  });

  it('turns a ticked check into an Undo button that unticks it', () => {
    const data = channelCardData(aRequest({ checks: { callback: true } }));
    expect(data.checks[0]).toMatchObject({ id: 'callback', mark: '☑', toggleTitle: 'Undo' });
    expect(data.checks[0]?.next).toBe(false);
    expect(data.checks[1]).toMatchObject({ id: 'identity', mark: '☐', toggleTitle: 'Done' });
    expect(data.checks[1]?.next).toBe(true);
  });

  it('shows times as client-side DATE/TIME functions, not server time', () => {
    const submitted = channelCardData(aRequest()).facts.find((f) => f.title === 'Submitted');
    expect(NOW.toISOString()).toBe('2025-06-02T10:00:00.000Z');
    expect(submitted?.value).toBe(
      '{{DATE(2025-06-02T10:00:00Z, SHORT)}} {{TIME(2025-06-02T10:00:00Z)}}',
    );
  });
});
