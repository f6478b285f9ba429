import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createFileStorage, FileStorage } from './file-storage';

@Global()
@Module({
  providers: [{ provide: FileStorage, useFactory: createFileStorage, inject: [ConfigService] }],
  exports: [FileStorage],
})
export class StorageModule {}
