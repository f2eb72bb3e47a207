import { describe, expect, it } from 'vitest';
import { REQUEST_KINDS } from '../../src/domain/request.js';
import {
  NO_MANAGER_CHECK,
  VERIFICATION_CHECKS,
  checksFor,
  requiredChecks,
  verificationGaps,
} from '../../src/domain/verification.js';
import { aRequest, people } from '../support/requestFactory.js';

const ids = (checks: readonly { id: string }[]): string[] => checks.map((c) => c.id);

describe('requiredChecks', () => {
  it('asks for a callback and identity questions on a lost phone or a backup pass', () => {
    expect(ids(requiredChecks('lost_phone'))).toEqual(['callback', 'identity']);
    expect(ids(requiredChecks('backup_pass'))).toEqual(['callback', 'identity']);
    expect(requiredChecks('lost_phone')[0]?.label).toBe(
      'Called the number on file and spoke to the person',
    );
    expect(requiredChecks('lost_phone')[1]?.label).toBe(
      'Asked the identity questions from the helpdesk procedure',
    );
  });

  it('asks only for photo ID in person for a new hire', () => {
    expect(requiredChecks('new_hire')).toEqual([
      expect.objectContaining({ id: 'identity', label: 'Checked photo ID in person' }),
    ]);
  });

  it('gives every check of every kind a label and a reason', () => {
    for (const kind of REQUEST_KINDS) {
      for (const check of VERIFICATION_CHECKS[kind]) {
        expect(check.label.length).toBeGreaterThan(10);
        expect(check.why.length).toBeGreaterThan(10);
      }
    }
  });
});

describe('checksFor', () => {
  it('adds the no-manager acknowledgement only when the directory shows no manager', () => {
    expect(ids(checksFor({ kind: 'lost_phone', attestation: 'pending' }))).toEqual([
      'callback',
      'identity',
    ]);
    expect(ids(checksFor({ kind: 'lost_phone', attestation: 'no_manager' }))).toEqual([
      'callback',
      'identity',
      NO_MANAGER_CHECK.id,
    ]);
    expect(NO_MANAGER_CHECK.id).toBe('no_manager_ack');
  });
});

describe('verificationGaps', () => {
  const done = { callback: true, identity: true };

  it('is empty once the manager confirmed and every check is ticked', () => {
    expect(verificationGaps(aRequest({ attestation: 'confirmed', checks: done }))).toEqual([]);
  });

  it('names each unticked check by its label', () => {
    const gaps = verificationGaps(
      aRequest({ attestation: 'confirmed', checks: { callback: true } }),
    );
    expect(gaps).toEqual([
      'Not done yet: "Asked the identity questions from the helpdesk procedure".',
    ]);
  });

  it('treats a check explicitly unticked as not done', () => {
    const gaps = verificationGaps(
      aRequest({ attestation: 'confirmed', checks: { callback: false, identity: true } }),
    );
    expect(gaps).toEqual(['Not done yet: "Called the number on file and spoke to the person".']);
  });

  it('waits for the manager while attestation is pending, naming both people', () => {
    expect(verificationGaps(aRequest({ attestation: 'pending', checks: done }))).toEqual([
      'Waiting for Maya Manager to confirm it is really Ava Employee.',
    ]);
  });

  it('blocks approval when the manager could not confirm', () => {
    const [gap] = verificationGaps(aRequest({ attestation: 'cannot_confirm', checks: done }));
    expect(gap).toMatch(/^Maya Manager could not confirm it is really Ava Employee; deny/);
  });

  it('blocks approval when the manager reported the request as suspicious', () => {
    expect(verificationGaps(aRequest({ attestation: 'suspicious', checks: done }))).toEqual([
      'Maya Manager reported this request as suspicious.',
    ]);
  });

  it('needs the no-manager acknowledgement when there is no manager', () => {
    const request = aRequest({ manager: null, attestation: 'no_manager', checks: done });
    expect(verificationGaps(request)).toEqual([`Not done yet: "${NO_MANAGER_CHECK.label}".`]);
    expect(verificationGaps({ ...request, checks: { ...done, no_manager_ack: true } })).toEqual([]);
  });

  it("counts a manager's own new-hire request as the attestation", () => {
    const request = aRequest({
      kind: 'new_hire',
      requester: { ...people.nina, upn: 'nina@contoso.example', department: 'Finance' },
      attestation: 'by_request',
      checks: { identity: true },
    });
    expect(verificationGaps(request)).toEqual([]);
  });

  it('needs flags reviewed when there are any, listing them', () => {
    const flagged = aRequest({
      attestation: 'confirmed',
      checks: done,
      flags: ['Mobile phone changed 3 days ago', 'User risk: high'],
    });
    expect(verificationGaps(flagged)).toEqual([
      'Review the risk flags first: Mobile phone changed 3 days ago; User risk: high.',
    ]);
    expect(verificationGaps({ ...flagged, flagsReviewed: true })).toEqual([]);
  });

  it('lists every gap at once, attestation first', () => {
    const gaps = verificationGaps(aRequest({ flags: ['Manager changed 2 days ago'] }));
    expect(gaps).toHaveLength(4);
    expect(gaps[0]).toMatch(/^Waiting for Maya Manager/);
    expect(gaps[3]).toMatch(/^Review the risk flags/);
  });
});
