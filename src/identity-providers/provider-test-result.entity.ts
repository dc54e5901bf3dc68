import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ProbeStep } from './provider-probe.js';

/**
 * The last Test of each provider, with the configuration it tested (the environment's included, which has no row of its own), kept
 * in the database so every instance and every admin sees the same result and when it ran.
 */
@Entity({ name: 'identity_provider_tests' })
export class ProviderTestRecord {
  @PrimaryColumn({ name: 'provider_id', type: 'varchar', length: 40 })
  providerId: string;

  @Column({ type: 'boolean' })
  ok: boolean;

  @Column({ type: 'jsonb' })
  steps: ProbeStep[];

  @Column({ name: 'tested_at', type: 'timestamptz' })
  testedAt: Date;

  /** The configuration tested (provider-fingerprint.ts); null for results stored before it was kept. */
  @Column({ name: 'config_fingerprint', type: 'varchar', length: 64, nullable: true })
  fingerprint: string | null;
}
