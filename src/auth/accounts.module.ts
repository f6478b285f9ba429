import { Module } from '@nestjs/common';
import { AccountsRepository } from './accounts.repository';

/** Accounts, refresh tokens and password resets: the repository, for every module that needs an account. */
@Module({ providers: [AccountsRepository], exports: [AccountsRepository] })
export class AccountsModule {}
