import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface StoredEntry {
  payload: AdapterPayload;
  expiresAt: number;
}

// Artifacts that belong to a grant and must disappear when the grant is revoked.
const GRANT_BOUND_MODELS = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/**
 * In-memory storage for one provider instance. oidc-provider's bundled memory adapter works
 * too, but it prints a production warning on every start and shares one store per process,
 * which would mix the state of several dev IdPs started by parallel tests.
 */
export function createDevIdpStore(): AdapterFactory {
  const entries = new Map<string, StoredEntry>();
  return (model) => new DevIdpStoreAdapter(model, entries);
}

class DevIdpStoreAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly entries: Map<string, StoredEntry>,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.pruneExpired();
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
    this.entries.set(this.key(id), { payload, expiresAt });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.live(this.key(id))?.payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findOwn((payload) => payload.uid === uid);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findOwn((payload) => payload.userCode === userCode);
  }

  async consume(id: string): Promise<void> {
    const entry = this.live(this.key(id));
    if (entry) {
      entry.payload.consumed = Math.floor(Date.now() / 1000);
    }
  }

  async destroy(id: string): Promise<void> {
    this.entries.delete(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [key, entry] of this.entries) {
      if (entry.payload.grantId === grantId && GRANT_BOUND_MODELS.has(modelOf(key))) {
        this.entries.delete(key);
      }
    }
  }

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  private live(key: string): StoredEntry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  // A linear scan is fine: a development provider holds a handful of artifacts.
  private findOwn(matches: (payload: AdapterPayload) => boolean): AdapterPayload | undefined {
    const prefix = `${this.model}:`;
    for (const key of this.entries.keys()) {
      const entry = key.startsWith(prefix) ? this.live(key) : undefined;
      if (entry && matches(entry.payload)) {
        return entry.payload;
      }
    }
    return undefined;
  }

  private pruneExpired(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) {
        this.entries.delete(key);
      }
    }
  }
}

function modelOf(key: string): string {
  return key.slice(0, key.indexOf(':'));
}
