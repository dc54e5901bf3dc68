export interface DevIdpAccount {
  id: string;
  email: string;
  password: string;
  name: string;
  emailVerified: boolean;
  note: string;
  /** Sent as the `groups` claim; the login form can change them for the provider's lifetime (role rules demo). */
  groups: string[];
}

/**
 * A second client of the development provider with fixed, printed credentials, so the README's
 * recipe can add it as another provider (`dev-jit`) with role rules and just-in-time users.
 */
export const DEV_JIT_CLIENT = { providerId: 'dev-jit', clientId: 'front-door-jit', clientSecret: 'dev-jit-client-secret' };

// Fixed, readable credentials on purpose: this provider only ever runs locally and in tests,
// and its login page prints them so anyone can sign in.
export const DEV_IDP_ACCOUNTS: DevIdpAccount[] = [
  {
    id: 'sub-admin',
    email: 'admin@example.com',
    password: 'admin-password',
    name: 'Ada Admin',
    emailVerified: true,
    note: 'platform admin',
    groups: ['platform-admins', 'staff'],
  },
  {
    id: 'sub-dev',
    email: 'dev@example.com',
    password: 'dev-password',
    name: 'Dev Eloper',
    emailVerified: true,
    note: 'platform developer',
    groups: ['platform-devs', 'staff'],
  },
  {
    id: 'sub-stranger',
    email: 'stranger@example.com',
    password: 'stranger-password',
    name: 'Sam Stranger',
    emailVerified: true,
    note: 'known to the provider, not to the platform',
    groups: ['contractors'],
  },
];

export function findAccountByCredentials(
  accounts: readonly DevIdpAccount[],
  email: string,
  password: string,
): DevIdpAccount | undefined {
  const wanted = email.trim().toLowerCase();
  return accounts.find((account) => account.email.toLowerCase() === wanted && account.password === password);
}

export function accountClaims(account: DevIdpAccount) {
  return {
    sub: account.id,
    email: account.email,
    email_verified: account.emailVerified,
    name: account.name,
    preferred_username: account.email,
    groups: [...account.groups],
  };
}

/** "a, b" → ["a", "b"]; "none" → []; empty → undefined (keep the account's groups). */
export function parseGroups(raw: string | null): string[] | undefined {
  const value = raw?.trim() ?? '';
  if (!value) return undefined;
  if (value.toLowerCase() === 'none') return [];
  return [...new Set(value.split(',').map((group) => group.trim()).filter(Boolean))].slice(0, 50);
}
