import { Module } from '@nestjs/common';
import { ConsolesController } from './consoles.controller.js';

@Module({ controllers: [ConsolesController] })
export class ConsolesModule {}
