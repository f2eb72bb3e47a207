/**
 * Runbook checklists: what a person does, in order, to get their sign-in back. Data, not card
 * JSON; cards render whichever steps apply.
 */

export interface LostPhoneFacts {
  /** Last two digits of the number on file, or null when the directory has none. */
  phoneEnding: string | null;
  /** When the pass stops working, already formatted for a card. */
  expiresAt: string;
  securityInfoUrl: string;
}

/** The requester's checklist once a pass exists for a lost or broken phone. */
export function lostPhoneSteps(facts: LostPhoneFacts): string[] {
  const call = facts.phoneEnding
    ? `Answer the helpdesk's call on your number ending in ${facts.phoneEnding}.`
    : 'Meet the helpdesk agent (in person or on video) to receive the pass.';
  return [
    `1. ${call} Nobody else should ever hear or see the pass.`,
    `2. Before ${facts.expiresAt}, open ${facts.securityInfoUrl} and sign in with the pass where you would approve MFA. It works once.`,
    '3. Straight away, choose "Add sign-in method" › Microsoft Authenticator and set it up on your new phone. Add a second method (a phone number or a security key) too, so one lost phone never locks you out again.',
    '4. Remove the old phone from your sign-in methods, then press "I\'m done" here: TapDesk checks and offers to remove it for you.',
  ];
}

/** Facts about a new starter's pass, for the status card their manager follows. */
export interface NewHireFacts {
  newHireName: string;
  /** When the pass starts and stops working, already formatted for a card. */
  startsAt: string | null;
  expiresAt: string;
  securityInfoUrl: string;
}

/** What happens once a new starter's pass exists, told to the manager who asked for it. */
export function newHireSteps(facts: NewHireFacts): string[] {
  const window = facts.startsAt
    ? `between ${facts.startsAt} and ${facts.expiresAt}`
    : `before ${facts.expiresAt}`;
  return [
    `1. ${facts.newHireName} meets the helpdesk agent in person with photo ID and receives the pass there. Nobody else should see it.`,
    `2. ${facts.newHireName} signs in at ${facts.securityInfoUrl} with the pass ${window}; it works once.`,
    '3. Straight away they add Microsoft Authenticator on their phone, and a second method (a phone number or a security key) so one lost phone never locks them out.',
  ];
}

// ---------------------------------------------------------------------------------------------
// Planned phone change

/** The device a person is moving to, as they pick it on the card. */
export const DEVICE_SCENARIOS = [
  'personal_iphone',
  'company_iphone_personal_id',
  'company_iphone_managed_id',
  'android',
  'other',
] as const;
export type DeviceScenario = (typeof DEVICE_SCENARIOS)[number];

/** How each scenario reads in the choice on the card. */
export const DEVICE_SCENARIO_TITLES: Record<DeviceScenario, string> = {
  personal_iphone: 'My own iPhone (my personal Apple ID)',
  company_iphone_personal_id: 'A company iPhone, with my personal Apple ID',
  company_iphone_managed_id: 'A company iPhone with a work (Managed) Apple ID',
  android: 'An Android phone',
  other: 'Something else',
};

/** One step of a runbook checklist: what to do, and why it matters. */
export interface RunbookStep {
  /** Stable across renders: ticks are stored by this id. */
  readonly id: string;
  readonly text: string;
  readonly why: string;
}

/** What TapDesk knows about the person when it tailors a planned-change runbook. */
export interface PlannedChangeFacts {
  /**
   * A usable MFA method other than the Authenticator on the old phone: a phone number, a
   * security key, Windows Hello, an authenticator app code or a second Authenticator.
   */
  hasBackupMethod: boolean;
  /** Those methods as a person names them ("Security key (YubiKey 5)"). */
  backupMethods: readonly string[];
  /**
   * The backups a sign-in during iPhone setup accepts before the phone is managed (besides a
   * pass): a phone number for a text message, or a security key. Named like `backupMethods`.
   */
  enrolmentBackups: readonly string[];
  securityInfoUrl: string;
}

/** A runbook tailored to one person: the steps in order, and whether they need a backup pass. */
export interface PlannedChangeRunbook {
  steps: RunbookStep[];
  /** No way in that survives the switch: the card offers a future-dated backup pass. */
  needsBackupPass: boolean;
  /** Background the person should read before they start. */
  notes: string[];
}

/** The id of the last step of every planned-change runbook: removing the old phone. */
export const REMOVE_OLD_STEP = 'remove_old';

/**
 * The planned-change runbook for one device scenario, tailored to what the person has
 * registered. Pure: the same scenario and facts always give the same steps and ids.
 *
 * @remarks A Managed Apple ID iPhone is set up with a work sign-in before it is managed, so
 * a compliant-device rule cannot apply yet; tenants let that one sign-in through with a pass,
 * a text message code or a security key only. Without one of the last two, a pass is needed
 * even when the person has some other backup.
 */
export function plannedChangeRunbook(
  scenario: DeviceScenario,
  facts: PlannedChangeFacts,
): PlannedChangeRunbook {
  const managed = scenario === 'company_iphone_managed_id';
  const needsBackupPass =
    !facts.hasBackupMethod || (managed && facts.enrolmentBackups.length === 0);
  const notes: string[] = [];
  if (!facts.hasBackupMethod) {
    notes.push(
      'The Authenticator on your old phone is your only way to approve sign-ins. The simplest insurance is to add a phone number under Security info today; if you switch without one, ask for a backup pass below.',
    );
  }
  notes.push(...SCENARIO_NOTES[scenario]);
  const steps = [
    backupStep(scenario, facts, needsBackupPass),
    ...SCENARIO_STEPS[scenario](facts, needsBackupPass),
    testStep,
    removeOldStep,
  ];
  return { steps, needsBackupPass, notes };
}

const SCENARIO_NOTES: Record<DeviceScenario, readonly string[]> = {
  personal_iphone: [
    'Microsoft Authenticator on iPhone backs up to iCloud Keychain. That needs iOS 16 or later with iCloud and iCloud Keychain on, and it brings back account names and their code secrets on a new iPhone signed in to the same Apple ID.',
  ],
  company_iphone_personal_id: [
    'Company iPhones are often set up so that iCloud Keychain is blocked. Then Authenticator has nothing to restore and you register it again on the new iPhone, which is quick while the old phone still works.',
  ],
  company_iphone_managed_id: [
    'A company iPhone with a work Apple ID asks you to sign in while it is being set up, before it is managed. That sign-in accepts only a pass, a text message code or a security key.',
  ],
  android: [
    'Microsoft Authenticator on Android backs up to a personal Microsoft account, not to your work account. Even after a restore, a work account has to sign in again before it can approve anything.',
  ],
  other: [],
};

function backupStep(
  scenario: DeviceScenario,
  facts: PlannedChangeFacts,
  needsBackupPass: boolean,
): RunbookStep {
  if (needsBackupPass) {
    const why =
      scenario === 'company_iphone_managed_id'
        ? 'Setting up the new iPhone needs a sign-in the old Authenticator cannot give; the pass is that sign-in.'
        : 'If the old phone stops working halfway through, the pass gets you in to finish the move without a helpdesk emergency.';
    return {
      id: 'backup_pass',
      text: 'Ask for a backup pass with the button below, for the day you switch. The helpdesk verifies you first, like for a lost phone.',
      why,
    };
  }
  return {
    id: 'check_backup',
    text: `Make sure your other way to sign in still works: ${facts.backupMethods.join(', ')}. You can see it at ${facts.securityInfoUrl}.`,
    why: 'If the move goes wrong, this is how you get back in without waiting for the helpdesk.',
  };
}

/** How the person proves it's them while registering the new phone. */
function proof(facts: PlannedChangeFacts, needsBackupPass: boolean): string {
  if (needsBackupPass) return 'approve on the old phone, or use your backup pass';
  return `approve on the old phone, or use ${facts.backupMethods[0] ?? 'your other method'}`;
}

function registerStep(
  facts: PlannedChangeFacts,
  needsBackupPass: boolean,
  when: string,
): RunbookStep {
  return {
    id: 'register_new',
    text: `${when} sign in at ${facts.securityInfoUrl} (${proof(facts, needsBackupPass)}), choose "Add sign-in method" › Microsoft Authenticator and scan the code with the new phone.`,
    why: 'Registering again works whatever happened to a backup; signing in first proves the new phone is yours.',
  };
}

const SCENARIO_STEPS: Record<
  DeviceScenario,
  (facts: PlannedChangeFacts, needsBackupPass: boolean) => RunbookStep[]
> = {
  personal_iphone: (facts, needsBackupPass) => [
    {
      id: 'ios_version',
      text: 'On the old iPhone open Settings › General › About and check it runs iOS 16 or later. Update it if not.',
      why: 'Authenticator can only keep its backup in iCloud Keychain from iOS 16 on.',
    },
    {
      id: 'icloud_keychain',
      text: 'Still on the old iPhone, open Settings › your name › iCloud: iCloud must be on, and so must Passwords and Keychain.',
      why: 'With iCloud Keychain off nothing is backed up, and the new iPhone starts with an empty Authenticator.',
    },
    {
      id: 'update_authenticator',
      text: 'Update Microsoft Authenticator from the App Store and open it once.',
      why: 'An up-to-date app writes your current accounts to the backup.',
    },
    {
      id: 'same_apple_id',
      text: 'Set up the new iPhone with the same Apple ID and let iCloud finish syncing.',
      why: 'The backup only comes back on a phone signed in to the Apple ID that made it.',
    },
    {
      id: 'restore',
      text: 'Install Microsoft Authenticator on the new iPhone. Your accounts should reappear; if your work account asks you to sign in again, do it and approve on the old phone.',
      why: 'The backup holds account names and code secrets; a work account still proves itself again before it takes approvals.',
    },
    registerStep(facts, needsBackupPass, 'Only if your work account did not come back:'),
  ],
  company_iphone_personal_id: (facts, needsBackupPass) => [
    {
      id: 'enrol',
      text: 'Enrol the new iPhone: install Company Portal, sign in with your work account and approve the prompt on your old phone.',
      why: 'Company apps need a managed phone, and while the old phone works it can approve this sign-in.',
    },
    {
      id: 'keychain_policy',
      text: 'If your company allows iCloud Keychain and the new iPhone uses the same Apple ID (iOS 16 or later), install Authenticator and see whether your work account comes back. If it does not, go on with the next step.',
      why: 'Company policy often blocks iCloud Keychain; then there is no backup to restore and you register again.',
    },
    registerStep(facts, needsBackupPass, 'Then'),
  ],
  company_iphone_managed_id: (facts, needsBackupPass) => [
    {
      id: 'device_assigned',
      text: 'Check with IT that the new iPhone is assigned to you before you switch it on.',
      why: 'An assigned iPhone enrols itself during setup; one that is not cannot be set up with your work Apple ID.',
    },
    {
      id: 'setup_sign_in',
      text: needsBackupPass
        ? 'Switch the new iPhone on and follow setup. When it asks for your work Apple ID, sign in with the backup pass the helpdesk gave you.'
        : `Switch the new iPhone on and follow setup. When it asks for your work Apple ID, choose "Sign in another way" and use ${facts.enrolmentBackups.join(' or ')}.`,
      why: 'The phone is not managed yet at this point, so an approval from the old Authenticator is not accepted.',
    },
    registerStep(facts, needsBackupPass, 'Once setup has finished,'),
  ],
  android: (facts, needsBackupPass) => [
    {
      id: 'cloud_backup',
      text: 'On the old phone open Authenticator › Settings and turn on Cloud backup (it asks for a personal Microsoft account).',
      why: 'Without a backup the new phone starts with an empty Authenticator.',
    },
    {
      id: 'restore',
      text: 'On the new phone install Microsoft Authenticator, choose "Begin recovery" and sign in to the same personal Microsoft account. When your work account asks you to sign in again, approve on the old phone.',
      why: 'Restored work accounts must prove themselves again before they can approve sign-ins.',
    },
    registerStep(facts, needsBackupPass, 'Only if your work account did not come back:'),
  ],
  other: (facts, needsBackupPass) => [
    registerStep(facts, needsBackupPass, 'Before you hand the old phone in,'),
  ],
};

const testStep: RunbookStep = {
  id: 'test_new',
  text: 'Sign out of Outlook or Teams and back in, and approve the prompt on the new phone. Keep the old phone until this works.',
  why: 'Until the new phone has approved a real sign-in, the old one is your way back in.',
};

const removeOldStep: RunbookStep = {
  id: REMOVE_OLD_STEP,
  text: 'Remove the old phone from your account with its Remove button below (it appears once the new phone is registered), then reset the old phone.',
  why: 'A registered old phone can still approve sign-ins for whoever ends up with it.',
};
