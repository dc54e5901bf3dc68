import { Module } from '@nestjs/common';
import { DesktopTokensModule } from '../desktop-tokens/desktop-tokens.module.js';
import { DesktopApiController } from './desktop-api.controller.js';
import { DesktopHandoffService } from './desktop-handoff.service.js';
import { HandoffPageController } from './handoff-page.controller.js';
import { HandoffTicketsRepository } from './handoff-tickets.repository.js';

@Module({
  imports: [DesktopTokensModule],
  controllers: [DesktopApiController, HandoffPageController],
  providers: [DesktopHandoffService, HandoffTicketsRepository],
  exports: [DesktopTokensModule],
})
export class DesktopHandoffModule {}
