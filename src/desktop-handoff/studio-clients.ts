/** The desktop Studios that sign in through the browser. A Studio is data: adding one is one entry. */
export const STUDIO_CLIENTS = ['service-studio', 'integration-studio'] as const;
export type StudioClient = (typeof STUDIO_CLIENTS)[number];

export interface StudioDefinition {
  title: string;
  /** The redirect URI the real Studio registers for its custom scheme. */
  customSchemeUri: string;
  /** What the Studio shows while the browser does the login (CONTRACT.md, fixed). */
  message: string;
}

export const STUDIOS: Readonly<Record<StudioClient, StudioDefinition>> = {
  'service-studio': {
    title: 'Service Studio',
    customSchemeUri: 'servicestudio://auth',
    message: 'Waiting to log in from your browser',
  },
  'integration-studio': {
    title: 'Integration Studio',
    customSchemeUri: 'integrationstudio://auth',
    message: 'Use the Identity Service website to complete the login process',
  },
};

/** Every client a desktop token may be issued to: the Studios, and command-line tools (device flow). */
export const TOKEN_CLIENTS = [...STUDIO_CLIENTS, 'cli'] as const;
export type TokenClient = (typeof TOKEN_CLIENTS)[number];
