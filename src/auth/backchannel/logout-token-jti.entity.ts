import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Logout-token ids already accepted, kept until such a token could no longer be fresh. */
@Entity({ name: 'logout_token_jtis' })
export class LogoutTokenJti {
  @PrimaryColumn({ name: 'provider_id', type: 'varchar', length: 40 })
  providerId: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  jti: string;

  @Index('logout_token_jtis_expires_at_idx')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
