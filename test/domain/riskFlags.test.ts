import { describe, expect, it } from 'vitest';
import type { DirectoryAuditEntry, UserRisk } from '../../src/ports.js';
import {
  NEW_ACCOUNT_DAYS,
  RECENT_CHANGE_DAYS,
  riskFlags,
  type RiskInput,
} from '../../src/domain/riskFlags.js';
import { aDirectoryUser, NOW } from '../support/requestFactory.js';

const DAY_MS = 24 * 60 * 60 * 1000;

const daysAgo = (days: number, extraMs = 0): string =>
  new Date(NOW.getTime() - days * DAY_MS - extraMs).toISOString();

/** Ava with nothing suspicious about her: old account, phone on file, no audits, no risk. */
function flagsFor(overrides: Partial<RiskInput> = {}): string[] {
  return riskFlags({
    user: aDirectoryUser(),
    audits: [],
    risk: { level: 'none', state: 'none' },
    now: NOW,
    ...overrides,
  });
}

const audit = (activity: string, at: string): DirectoryAuditEntry => ({ activity, at });

describe('riskFlags', () => {
  it('raises nothing for an established account with a phone and no recent changes', () => {
    expect(flagsFor()).toEqual([]);
  });

  describe('Entra ID Protection risk', () => {
    it.each(['low', 'medium', 'high'])('flags %s user risk with its state', (level) => {
      expect(flagsFor({ risk: { level, state: 'atRisk' } })).toEqual([
        `Entra ID Protection rates this account ${level} risk (atRisk)`,
      ]);
    });

    it('reads the level whatever its case', () => {
      expect(flagsFor({ risk: { level: 'High', state: 'confirmedCompromised' } })).toEqual([
        'Entra ID Protection rates this account High risk (confirmedCompromised)',
      ]);
    });

    it.each<UserRisk>([
      { level: 'none', state: 'none' },
      { level: 'none', state: 'remediated' },
      { level: 'hidden', state: 'atRisk' },
      'unavailable',
    ])('raises no flag for %j', (risk) => {
      expect(flagsFor({ risk })).toEqual([]);
    });
  });

  describe('recent directory changes', () => {
    it.each([
      ['Update user (Mobile)', 'Phone number on file changed'],
      ['Update user (TelephoneNumber)', 'Phone number on file changed'],
      ['Add manager to user', 'Manager changed'],
      ['User registered security info', 'Sign-in methods changed'],
      ['Update user (StrongAuthenticationMethod)', 'Sign-in methods changed'],
    ])('flags "%s" from 3 days ago as "%s"', (activity, what) => {
      const at = daysAgo(3);
      expect(flagsFor({ audits: [audit(activity, at)] })).toEqual([
        `${what} on ${at.slice(0, 10)}, in the last ${RECENT_CHANGE_DAYS} days`,
      ]);
    });

    it('ignores the same changes when they are older than 14 days', () => {
      const old = daysAgo(RECENT_CHANGE_DAYS, 1);
      expect(
        flagsFor({
          audits: [
            audit('Update user (Mobile)', old),
            audit('Add manager to user', old),
            audit('User registered security info', daysAgo(90)),
          ],
        }),
      ).toEqual([]);
    });

    it('still counts a change exactly 14 days old', () => {
      const edge = daysAgo(RECENT_CHANGE_DAYS);
      expect(flagsFor({ audits: [audit('Add manager to user', edge)] })).toEqual([
        `Manager changed on ${edge.slice(0, 10)}, in the last 14 days`,
      ]);
    });

    it('ignores activities that change none of phone, manager or methods', () => {
      expect(flagsFor({ audits: [audit('Update user (DisplayName)', daysAgo(1))] })).toEqual([]);
    });

    it('names the latest of several changes of one kind, once', () => {
      const flags = flagsFor({
        audits: [
          audit('Update user (Mobile)', daysAgo(10)),
          audit('Update user (Mobile)', daysAgo(2)),
          audit('Update user (Mobile)', daysAgo(20)),
        ],
      });
      expect(flags).toEqual([
        `Phone number on file changed on ${daysAgo(2).slice(0, 10)}, in the last 14 days`,
      ]);
    });

    it('lists phone, manager and method changes in that order', () => {
      const flags = flagsFor({
        audits: [
          audit('User registered security info', daysAgo(1)),
          audit('Add manager to user', daysAgo(2)),
          audit('Update user (Mobile)', daysAgo(3)),
        ],
      });
      expect(flags.map((flag) => flag.split(/ on \d/)[0])).toEqual([
        'Phone number on file changed',
        'Manager changed',
        'Sign-in methods changed',
      ]);
    });
  });

  describe('new accounts', () => {
    it('flags an account created 2 days ago, like a new starter', () => {
      const created = daysAgo(2);
      expect(flagsFor({ user: aDirectoryUser({ createdDateTime: created }) })).toEqual([
        `Account created on ${created.slice(0, 10)}, less than ${NEW_ACCOUNT_DAYS} days ago`,
      ]);
    });

    it('flags an account one millisecond short of 7 days old', () => {
      const created = daysAgo(NEW_ACCOUNT_DAYS, -1);
      expect(flagsFor({ user: aDirectoryUser({ createdDateTime: created }) })).toHaveLength(1);
    });

    it('does not flag an account exactly 7 days old or older', () => {
      expect(
        flagsFor({ user: aDirectoryUser({ createdDateTime: daysAgo(NEW_ACCOUNT_DAYS) }) }),
      ).toEqual([]);
      expect(flagsFor({ user: aDirectoryUser({ createdDateTime: daysAgo(400) }) })).toEqual([]);
    });

    it('does not flag an account whose creation date the directory does not give', () => {
      expect(flagsFor({ user: aDirectoryUser({ createdDateTime: null }) })).toEqual([]);
    });
  });

  describe('phone on file', () => {
    it('flags a user with neither a mobile nor a business phone', () => {
      expect(flagsFor({ user: aDirectoryUser({ mobilePhone: null, businessPhones: [] }) })).toEqual(
        ['No phone number on file: the callback must happen in person or on video'],
      );
    });

    it('accepts a business phone when there is no mobile', () => {
      expect(
        flagsFor({
          user: aDirectoryUser({ mobilePhone: null, businessPhones: ['+1 425 555 0100'] }),
        }),
      ).toEqual([]);
    });
  });

  it('puts identity risk first and the missing phone last when everything is wrong', () => {
    const flags = flagsFor({
      user: aDirectoryUser({ createdDateTime: daysAgo(1), mobilePhone: null }),
      audits: [audit('Add manager to user', daysAgo(1))],
      risk: { level: 'medium', state: 'atRisk' },
    });
    expect(flags).toHaveLength(4);
    expect(flags[0]).toMatch(/^Entra ID Protection/);
    expect(flags[1]).toMatch(/^Manager changed/);
    expect(flags[2]).toMatch(/^Account created/);
    expect(flags[3]).toMatch(/^No phone number on file/);
  });
});

describe('riskFlags and the Authenticator app', () => {
  it('does not mistake registering Authenticator on a new phone for a changed number', () => {
    const flags = riskFlags({
      user: {
        id: 'u',
        displayName: 'Ava',
        userPrincipalName: 'ava@contoso.example',
        accountEnabled: true,
        userType: 'Member',
        mobilePhone: '+1 425 555 0142',
        businessPhones: [],
        department: null,
        jobTitle: null,
        createdDateTime: '2020-01-01T00:00:00Z',
      },
      audits: [
        {
          activity: 'Update user (StrongAuthenticationPhoneAppDetail)',
          at: '2025-06-01T10:00:00Z',
        },
        { activity: 'User registered security info (phone)', at: '2025-06-01T10:00:00Z' },
      ],
      risk: { level: 'none', state: 'none' },
      now: new Date('2025-06-02T10:00:00Z'),
    });
    expect(flags).toEqual(['Sign-in methods changed on 2025-06-01, in the last 14 days']);
  });
});
