import type { Response } from 'express';
import { Logger } from '@nestjs/common';
import { newSessionId, sessionKey } from './session-cookie.js';

/** What a console session keeps (the row's `data` column). */
export interface SessionData {
  userId?: string;
  /** Unset for a break-glass session, which no provider vouched for. */
  providerId?: string;
  /** Kept for the provider's logout (id_token_hint). */
  idToken?: string;
  /** The provider's session id, when it sends one. */
  providerSid?: string;
  authenticatedAt?: number;
  /** Signed in with a local break-glass password: opens LifeTime only, and ends at `endsAt`. */
  breakGlass?: boolean;
  /** A hard end (epoch ms) sooner than the absolute lifetime. */
  endsAt?: number;
  /** Where and with what the session was opened, for the user's page in LifeTime. */
  ip?: string;
  userAgent?: string;
  /** A one-time message for the next page (after a form's action). */
  flash?: { kind: 'success' | 'warning' | 'error'; text: string };
}

const FIELDS = ['userId', 'providerId', 'idToken', 'providerSid', 'authenticatedAt', 'breakGlass', 'endsAt', 'ip', 'userAgent', 'flash'] as const satisfies ReadonlyArray<keyof SessionData>;

/** What a session needs from where it is kept and from the response it answers with. */
export interface SessionBackend {
  save(sid: string, data: SessionData): Promise<void>;
  destroy(sid: string): Promise<void>;
  /** Sends the cookie for `sid` (a new id, or a later idle expiry) while the headers are not yet sent. */
  sendCookie(res: Response, sid: string): void;
}

// The class below has the fields of SessionData (declaration merging): one list of them, in SessionData.
export interface ConsoleSession extends SessionData {}

/**
 * `req.session`: the session a request arrived with (a stored row), or an empty one that is stored
 * only when something is saved in it (a login). Changes are written by `save()` explicitly; nothing
 * is compared or written behind the caller's back at the end of the request.
 */
export class ConsoleSession {
  private sid?: string;
  /** The stored session's cache key (sessionKey of its id), when the caller already has it. */
  private storedKey?: string;
  /** The id is new to the browser: the next save sends the cookie. */
  private unsent: boolean;

  constructor(
    private readonly backend: SessionBackend,
    private readonly res: Response,
    stored?: { sid: string; data: Readonly<SessionData>; key?: string },
  ) {
    this.sid = stored?.sid;
    this.storedKey = stored?.key;
    this.unsent = !stored;
    if (stored) for (const field of FIELDS) if (stored.data[field] !== undefined) (this as SessionData)[field] = stored.data[field] as never;
  }

  /** The session's secret id (the cookie's); an empty session gets one when first asked. */
  get id(): string {
    return (this.sid ??= newSessionId());
  }

  /**
   * The key this stored session is cached and its end announced under (RevocationListener kind
   * `s`); undefined for a session not stored. Other caches of what a session decided use it too.
   */
  get key(): string | undefined {
    if (this.unsent || !this.sid) return undefined;
    return (this.storedKey ??= sessionKey(this.sid));
  }

  /** Whether the browser holds this session in a cookie and the database in a row. */
  get stored(): boolean {
    return !this.unsent;
  }

  data(): SessionData {
    const data: SessionData = {};
    for (const field of FIELDS) if (this[field] !== undefined) (data as Record<string, unknown>)[field] = this[field];
    return data;
  }

  /** Writes the session; a session new to the browser also gets its cookie (before the headers go). */
  async save(): Promise<void> {
    await this.backend.save(this.id, this.data());
    if (this.unsent && !this.res.headersSent) {
      this.backend.sendCookie(this.res, this.id);
      this.unsent = false;
    }
  }

  /**
   * A fresh id with nothing in it, the old session's row gone: called at login, so that an id
   * planted before the login (fixation) is worth nothing after it.
   */
  async regenerate(): Promise<void> {
    if (this.sid && !this.unsent) await this.backend.destroy(this.sid);
    for (const field of FIELDS) delete this[field];
    this.storedKey = undefined;
    this.sid = newSessionId();
    this.unsent = true;
  }

  /** Ends the session: its row goes (here and, through the database, on every instance), and its id is never used again. */
  async destroy(): Promise<void> {
    if (this.sid && !this.unsent) await this.backend.destroy(this.sid);
    for (const field of FIELDS) delete this[field];
    this.storedKey = undefined;
    this.sid = undefined;
    this.unsent = true;
  }

  /**
   * The one-time message left by the last action, removed from the session as it is read. The
   * removal is stored before this response ends, so a browser that reloads at once does not see it twice.
   */
  takeFlash(): SessionData['flash'] {
    const flash = this.flash;
    if (!flash) return undefined;
    delete this.flash;
    const res = this.res;
    const end = res.end;
    res.end = ((...args: Parameters<Response['end']>) => {
      res.end = end;
      this.save().then(
        () => end.apply(res, args),
        (error: Error) => {
          new Logger('Sessions').warn(`a read flash message could not be removed from its session: ${error.message}`);
          end.apply(res, args);
        },
      );
      return res;
    }) as Response['end'];
    return flash;
  }
}
