import { Injectable, Logger } from '@nestjs/common';

/** A browser sign-in that the provider or the platform refused, with where the browser was going. */
export interface RefusedLogin {
  /** The local path the login was started for. */
  returnTo: string;
  /** `not_registered` (no active user for the identity) or `login_refused` (anything else). */
  reason: 'not_registered' | 'login_refused';
}

type Listener = (login: RefusedLogin) => Promise<void>;

/**
 * Lets other modules react to a refused sign-in without auth knowing about them (the desktop
 * handoff denies the Studio login the browser was on its way to). A failing listener is logged and
 * never changes the refusal the person sees.
 */
@Injectable()
export class LoginEvents {
  private readonly logger = new Logger(LoginEvents.name);
  private readonly listeners: Listener[] = [];

  onRefused(listener: Listener): void {
    this.listeners.push(listener);
  }

  async refused(login: RefusedLogin): Promise<void> {
    for (const listener of this.listeners) {
      await listener(login).catch((error: unknown) => this.logger.warn(`refused-login listener failed: ${(error as Error).message}`));
    }
  }
}
