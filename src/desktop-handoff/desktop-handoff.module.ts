import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DesktopTokenVerifier } from '../auth/guards/desktop-token.guard.js';
import { DesktopApiController } from './desktop-api.controller.js';
import { DesktopHandoffService } from './desktop-handoff.service.js';
import { DesktopToken } from './desktop-token.entity.js';
import { DesktopTokensService } from './desktop-tokens.service.js';
import { HandoffPageController } from './handoff-page.controller.js';
import { HandoffTicket } from './handoff-ticket.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([HandoffTicket, DesktopToken])],
  controllers: [DesktopApiController, HandoffPageController],
  providers: [DesktopHandoffService, DesktopTokensService, { provide: DesktopTokenVerifier, useExisting: DesktopTokensService }],
  exports: [DesktopTokensService],
})
export class DesktopHandoffModule {}
