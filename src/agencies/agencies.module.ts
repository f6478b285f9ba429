import { Module } from '@nestjs/common';
import { AgenciesAdminController } from './agencies.controller';
import { AgenciesService } from './agencies.service';

@Module({ controllers: [AgenciesAdminController], providers: [AgenciesService], exports: [AgenciesService] })
export class AgenciesModule {}
