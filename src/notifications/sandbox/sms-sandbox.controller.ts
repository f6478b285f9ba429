import { Body, Get, Headers, HttpCode, Post, Query } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import { timingSafeEqual } from 'node:crypto';
import { Public } from '../../auth/auth-user';
import { Unauthorized } from '../../common/problem';
import type { AppConfig } from '../../config/configuration';
import { SandboxController } from '../../sandbox/sandbox.guard';
import { SandboxSms, SmsSandboxRepository } from './sms-sandbox.repository';

class SendSmsDto {
  @IsString() @Length(1, 100) clientRef: string;
  @IsString() @Matches(/^(\+84|0)\d{9,10}$/) phone: string;
  @IsString() @Length(1, 1000) text: string;
}

class ListSmsQuery {
  @IsOptional() @IsString() @Matches(/^(\+84|0)\d{9,10}$/) phone?: string;
}

/**
 * The built-in SMS gateway (development and tests): accepts the portal's
 * request like a real gateway would (API key, client reference deduplicated)
 * and keeps the messages so a developer or a test can read them. Every route
 * answers 404 unless SANDBOX_ENABLED is 'true' (the messages list included).
 */
@SandboxController('sms')
export class SmsSandboxController {
  private readonly key: Buffer;

  constructor(
    private readonly messages: SmsSandboxRepository,
    config: ConfigService<AppConfig, true>,
  ) {
    this.key = Buffer.from(config.get('SMS_API_KEY', { infer: true }));
  }

  @Public()
  @Post('messages')
  @HttpCode(200)
  async send(@Headers('x-api-key') key: string | undefined, @Body() dto: SendSmsDto): Promise<{ messageId: string }> {
    const given = Buffer.from(key ?? '');
    if (given.length !== this.key.length || !timingSafeEqual(given, this.key))
      throw new Unauthorized('Invalid API key.');
    return { messageId: await this.messages.insertOnce(dto.clientRef, dto.phone, dto.text) };
  }

  @Public()
  @Get('messages')
  list(@Query() q: ListSmsQuery): Promise<SandboxSms[]> {
    return this.messages.list(q.phone ?? null);
  }
}
