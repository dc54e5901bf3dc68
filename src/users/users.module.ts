import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LinkedIdentity } from './linked-identity.entity.js';
import { User } from './user.entity.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([User, LinkedIdentity])],
  providers: [UsersService],
  exports: [UsersService],
})
export class UsersModule {}
