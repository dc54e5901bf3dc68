export interface DevIdpAccount {
  id: string;
  email: string;
  password: string;
  name: string;
  emailVerified: boolean;
  note: string;
}

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
  },
  {
    id: 'sub-dev',
    email: 'dev@example.com',
    password: 'dev-password',
    name: 'Dev Eloper',
    emailVerified: true,
    note: 'platform developer',
  },
  {
    id: 'sub-stranger',
    email: 'stranger@example.com',
    password: 'stranger-password',
    name: 'Sam Stranger',
    emailVerified: true,
    note: 'known to the provider, not to the platform',
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
  };
}
