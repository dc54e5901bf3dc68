/** A provider as the chooser sees it. */
export interface ChooserOption {
  id: string;
  displayName: string;
  emailDomains: readonly string[];
}

export type ChooserDecision =
  | { kind: 'start'; providerId: string; loginHint?: string }
  | { kind: 'choose'; notice?: string }
  | { kind: 'none' };

const EMAIL = /^[^\s@]{1,64}@([^\s@]{1,253})$/;

/**
 * Which provider a browser that asks to sign in goes to: the one whose email domains hold the
 * address typed in (home-realm discovery), the only one, the one it used last (unless its last
 * check failed), or the chooser.
 */
export function chooseProvider(
  options: ChooserOption[],
  input: { email?: string; lastProviderId?: string; forceChooser?: boolean; unavailableIds?: ReadonlySet<string> },
): ChooserDecision {
  if (options.length === 0) return { kind: 'none' };
  const email = input.email?.trim();
  if (email) {
    const match = EMAIL.exec(email);
    if (!match) return { kind: 'choose', notice: `"${email}" is not an email address. Type your work email, or choose below.` };
    const domain = match[1].toLowerCase();
    const owner = options.find((option) => option.emailDomains.some((candidate) => domain === candidate || domain.endsWith(`.${candidate}`)));
    if (owner && input.unavailableIds?.has(owner.id)) return { kind: 'choose', notice: `${owner.displayName}, which signs in ${domain}, is unavailable right now. Try again later, or choose below.` };
    if (owner) return { kind: 'start', providerId: owner.id, loginHint: email };
    return { kind: 'choose', notice: `No sign-in option is set up for ${domain}. Choose yours below.` };
  }
  if (options.length === 1) return { kind: 'start', providerId: options[0].id };
  // The one used last, unless its last check failed: then the chooser says so and offers the others.
  if (!input.forceChooser && input.lastProviderId && !input.unavailableIds?.has(input.lastProviderId) && options.some((option) => option.id === input.lastProviderId)) {
    return { kind: 'start', providerId: input.lastProviderId };
  }
  return { kind: 'choose' };
}
