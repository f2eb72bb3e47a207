import { describe, expect, it } from 'vitest';
import {
  DEVICE_SCENARIOS,
  DEVICE_SCENARIO_TITLES,
  REMOVE_OLD_STEP,
  newHireSteps,
  plannedChangeRunbook,
  type PlannedChangeFacts,
} from '../../src/domain/runbooks.js';

const URL = 'https://mysignins.microsoft.com/security-info';

const noBackup: PlannedChangeFacts = {
  hasBackupMethod: false,
  backupMethods: [],
  enrolmentBackups: [],
  securityInfoUrl: URL,
};

const withPhone: PlannedChangeFacts = {
  hasBackupMethod: true,
  backupMethods: ['Phone (SMS or call) (+1 XXXXXXX42)'],
  enrolmentBackups: ['Phone (SMS or call) (+1 XXXXXXX42)'],
  securityInfoUrl: URL,
};

/** Windows Hello signs in on the PC but cannot help while an iPhone is being set up. */
const windowsHelloOnly: PlannedChangeFacts = {
  hasBackupMethod: true,
  backupMethods: ['Windows Hello for Business (LAPTOP-42)'],
  enrolmentBackups: [],
  securityInfoUrl: URL,
};

const ids = (facts: PlannedChangeFacts, scenario: (typeof DEVICE_SCENARIOS)[number]) =>
  plannedChangeRunbook(scenario, facts).steps.map((step) => step.id);

const text = (facts: PlannedChangeFacts, scenario: (typeof DEVICE_SCENARIOS)[number]) =>
  JSON.stringify(plannedChangeRunbook(scenario, facts));

describe('plannedChangeRunbook', () => {
  it('gives every scenario a title, unique step ids, a reason for each step, and removal last', () => {
    for (const scenario of DEVICE_SCENARIOS) {
      expect(DEVICE_SCENARIO_TITLES[scenario]).not.toBe('');
      for (const facts of [noBackup, withPhone, windowsHelloOnly]) {
        const { steps } = plannedChangeRunbook(scenario, facts);
        const stepIds = steps.map((step) => step.id);
        expect(new Set(stepIds).size, scenario).toBe(stepIds.length);
        expect(stepIds.at(-1), scenario).toBe(REMOVE_OLD_STEP);
        expect(stepIds.at(-2), scenario).toBe('test_new');
        for (const step of steps) {
          expect(step.text.length, `${scenario} ${step.id}`).toBeGreaterThan(20);
          expect(step.why.length, `${scenario} ${step.id}`).toBeGreaterThan(20);
        }
      }
    }
  });

  it('is the same for the same scenario and facts, so stored ticks keep matching their steps', () => {
    for (const scenario of DEVICE_SCENARIOS) {
      expect(plannedChangeRunbook(scenario, withPhone)).toEqual(
        plannedChangeRunbook(scenario, withPhone),
      );
    }
  });

  it('offers a backup pass first to anyone whose only way to approve is the old phone', () => {
    for (const scenario of DEVICE_SCENARIOS) {
      const runbook = plannedChangeRunbook(scenario, noBackup);
      expect(runbook.needsBackupPass, scenario).toBe(true);
      expect(runbook.steps[0]?.id, scenario).toBe('backup_pass');
      expect(runbook.notes.join(' '), scenario).toContain('only way to approve sign-ins');
    }
  });

  it('has a person with a backup method check it first instead, naming the method', () => {
    const runbook = plannedChangeRunbook('personal_iphone', withPhone);
    expect(runbook.needsBackupPass).toBe(false);
    expect(runbook.steps[0]).toMatchObject({ id: 'check_backup' });
    expect(runbook.steps[0]?.text).toContain('Phone (SMS or call) (+1 XXXXXXX42)');
    expect(runbook.notes.join(' ')).not.toContain('only way to approve');
  });

  it('walks a personal iPhone through the iCloud Keychain restore: iOS 16, iCloud and Keychain on, same Apple ID', () => {
    expect(ids(withPhone, 'personal_iphone')).toEqual([
      'check_backup',
      'ios_version',
      'icloud_keychain',
      'update_authenticator',
      'same_apple_id',
      'restore',
      'register_new',
      'test_new',
      REMOVE_OLD_STEP,
    ]);
    const all = text(withPhone, 'personal_iphone');
    expect(all).toContain('iOS 16 or later');
    expect(all).toContain('Passwords and Keychain');
    expect(all).toContain('Only if your work account did not come back');
  });

  it('plans a re-registration on a company iPhone, because policy often blocks iCloud Keychain', () => {
    expect(ids(withPhone, 'company_iphone_personal_id')).toEqual([
      'check_backup',
      'enrol',
      'keychain_policy',
      'register_new',
      'test_new',
      REMOVE_OLD_STEP,
    ]);
    const runbook = plannedChangeRunbook('company_iphone_personal_id', withPhone);
    expect(runbook.notes.join(' ')).toContain('iCloud Keychain is blocked');
    expect(runbook.steps.find((s) => s.id === 'register_new')?.text).toMatch(/^Then sign in at/);
  });

  it('needs a pass for a Managed Apple ID iPhone unless a text message or security key can sign in during setup', () => {
    const withKey = plannedChangeRunbook('company_iphone_managed_id', withPhone);
    expect(withKey.needsBackupPass).toBe(false);
    expect(withKey.steps.find((s) => s.id === 'setup_sign_in')?.text).toContain(
      'use Phone (SMS or call) (+1 XXXXXXX42)',
    );

    const helloOnly = plannedChangeRunbook('company_iphone_managed_id', windowsHelloOnly);
    expect(helloOnly.needsBackupPass).toBe(true);
    expect(helloOnly.steps[0]?.id).toBe('backup_pass');
    expect(helloOnly.steps[0]?.why).toContain('Setting up the new iPhone needs a sign-in');
    expect(helloOnly.steps.find((s) => s.id === 'setup_sign_in')?.text).toContain(
      'sign in with the backup pass',
    );
    expect(helloOnly.notes.join(' ')).toContain('before it is managed');

    // Other scenarios can re-register with Windows Hello on the PC: no pass needed there.
    expect(
      plannedChangeRunbook('company_iphone_personal_id', windowsHelloOnly).needsBackupPass,
    ).toBe(false);
  });

  it('restores Android from a personal Microsoft account and never mentions iCloud', () => {
    expect(ids(withPhone, 'android')).toEqual([
      'check_backup',
      'cloud_backup',
      'restore',
      'register_new',
      'test_new',
      REMOVE_OLD_STEP,
    ]);
    const all = text(withPhone, 'android');
    expect(all).toContain('personal Microsoft account');
    expect(all).not.toContain('iCloud');
  });

  it('registers an unknown device while the old phone still works', () => {
    expect(ids(noBackup, 'other')).toEqual([
      'backup_pass',
      'register_new',
      'test_new',
      REMOVE_OLD_STEP,
    ]);
    expect(text(noBackup, 'other')).toContain('or use your backup pass');
  });

  it('tells people how to prove it is them when registering: the old phone, or their backup', () => {
    const register = (facts: PlannedChangeFacts) =>
      plannedChangeRunbook('other', facts).steps.find((s) => s.id === 'register_new')?.text;
    expect(register(withPhone)).toContain(
      `sign in at ${URL} (approve on the old phone, or use Phone (SMS or call) (+1 XXXXXXX42))`,
    );
    expect(register(noBackup)).toContain('(approve on the old phone, or use your backup pass)');
  });
});

describe('newHireSteps', () => {
  it('says the pass is handed over in person and when it works', () => {
    const steps = newHireSteps({
      newHireName: 'Nina Newhire',
      startsAt: 'Monday 08:00',
      expiresAt: 'Monday 09:00',
      securityInfoUrl: URL,
    });
    expect(steps[0]).toContain('Nina Newhire meets the helpdesk agent in person with photo ID');
    expect(steps[1]).toContain('between Monday 08:00 and Monday 09:00');
    const now = newHireSteps({
      newHireName: 'Nina Newhire',
      startsAt: null,
      expiresAt: '11:00',
      securityInfoUrl: URL,
    });
    expect(now[1]).toContain('with the pass before 11:00');
  });
});
