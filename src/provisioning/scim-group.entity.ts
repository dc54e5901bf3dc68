import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A group of one provider's directory, pushed through SCIM; its members feed the provider's role rules. */
@Entity({ name: 'scim_groups' })
export class ScimGroupRecord {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'provider_id', type: 'varchar', length: 64 })
  providerId: string;

  /** Unique per provider, any case (index scim_groups_display_name_key on lower(display_name)). */
  @Column({ name: 'display_name', type: 'varchar', length: 256 })
  displayName: string;

  @Column({ name: 'external_id', type: 'varchar', length: 255, nullable: true })
  externalId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

@Entity({ name: 'scim_group_members' })
export class ScimGroupMember {
  @PrimaryColumn({ name: 'group_id', type: 'uuid' })
  groupId: string;

  @Index('scim_group_members_user_id_idx')
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;
}
