/**
 * The Microsoft Graph application permissions TapDesk uses, and which operation needs which.
 * Shared by the Graph adapter (to name a missing permission in an error) and the directory
 * emulator (to refuse an endpoint whose permission was withdrawn).
 */

/** The application permissions an administrator grants TapDesk (SPEC §5). */
export const GRAPH_PERMISSIONS = [
  'User.Read.All',
  'GroupMember.Read.All',
  'RoleManagement.Read.Directory',
  'UserAuthenticationMethod.ReadWrite.All',
  'Policy.Read.All',
  'AuditLog.Read.All',
  'IdentityRiskyUser.Read.All',
  'TeamsAppInstallation.ReadWriteSelfForUser.All',
] as const;

/**
 * Not required: the readiness ping reads the organization, and a refusal still proves that Graph
 * answered an authenticated call.
 */
export const ORGANIZATION_READ = 'Organization.Read.All';

export type GraphPermission = (typeof GRAPH_PERMISSIONS)[number] | typeof ORGANIZATION_READ;

/** What one Graph call is for, said so an operator reading an error understands it. */
export interface GraphOperation {
  permission: GraphPermission;
  /** Completes "needed to …". */
  purpose: string;
}

/** Every Graph call the adapter makes, by name. */
export const GRAPH_OPERATIONS = {
  ping: { permission: ORGANIZATION_READ, purpose: 'read the organization (readiness check)' },
  readUser: { permission: 'User.Read.All', purpose: "read a user's profile" },
  readManager: { permission: 'User.Read.All', purpose: "read a user's manager" },
  readDirectReports: { permission: 'User.Read.All', purpose: "read a manager's direct reports" },
  checkMemberGroups: {
    permission: 'GroupMember.Read.All',
    purpose: 'check helpdesk, security and privileged group membership',
  },
  listActiveRoles: {
    permission: 'RoleManagement.Read.Directory',
    purpose: "read a user's directory roles",
  },
  listAuthMethods: {
    permission: 'UserAuthenticationMethod.ReadWrite.All',
    purpose: "read a user's registered authentication methods",
  },
  deleteAuthenticator: {
    permission: 'UserAuthenticationMethod.ReadWrite.All',
    purpose: 'remove an old Microsoft Authenticator device',
  },
  readTapPolicy: {
    permission: 'Policy.Read.All',
    purpose: 'read the Temporary Access Pass policy',
  },
  createTap: {
    permission: 'UserAuthenticationMethod.ReadWrite.All',
    purpose: 'create a Temporary Access Pass',
  },
  listTaps: {
    permission: 'UserAuthenticationMethod.ReadWrite.All',
    purpose: "read a user's Temporary Access Pass",
  },
  deleteTap: {
    permission: 'UserAuthenticationMethod.ReadWrite.All',
    purpose: 'revoke a Temporary Access Pass',
  },
  readDirectoryAudits: {
    permission: 'AuditLog.Read.All',
    purpose: 'read the directory audit log for risk flags',
  },
  readUserRisk: {
    permission: 'IdentityRiskyUser.Read.All',
    purpose: "read a user's Entra ID Protection risk",
  },
  installApp: {
    permission: 'TeamsAppInstallation.ReadWriteSelfForUser.All',
    purpose: 'install TapDesk for a user so it can message them',
  },
  readAppChat: {
    permission: 'TeamsAppInstallation.ReadWriteSelfForUser.All',
    purpose: "find a user's chat with TapDesk",
  },
} as const satisfies Record<string, GraphOperation>;

export type GraphOperationName = keyof typeof GRAPH_OPERATIONS;

/** The sentence an operator reads when Graph refused an operation with 403. */
export function missingPermissionMessage(operation: GraphOperationName): string {
  const { permission, purpose } = GRAPH_OPERATIONS[operation];
  return (
    `TapDesk lacks the Microsoft Graph application permission ${permission} ` +
    `(needed to ${purpose}). An administrator must grant it and give admin consent.`
  );
}
