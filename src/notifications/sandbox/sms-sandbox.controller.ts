import { Body, Get, Headers, HttpCode, Post, Query } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiHeader, ApiOperation, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import { timingSafeEqual } from 'node:crypto';
import { Public } from '../../auth/auth-user';
import { Unauthorized } from '../../common/problem';
import type { AppConfig } from '../../config/configuration';
import { ApiJson, ApiProblems } from '../../openapi/responses';
import { SandboxController } from '../../sandbox/sandbox.guard';
import { SandboxSms, SmsSandboxRepository } from './sms-sandbox.repository';
import { SandboxSmsDto, SandboxSmsSentDto } from './views.dto';

class SendSmsDto {
  @ApiProperty({ description: 'The sender’s reference: the same one sends once' })
  @IsString()
  @Length(1, 100)
  clientRef: string;
  @ApiProperty({ example: '0912345678' }) @IsString() @Matches(/^(\+84|0)\d{9,10}$/) phone: string;
  @ApiProperty() @IsString() @Length(1, 1000) text: string;
}

class ListSmsQuery {
  @ApiPropertyOptional({ description: 'Only the messages to this number' })
  @IsOptional()
  @IsString()
  @Matches(/^(\+84|0)\d{9,10}$/)
  phone?: string;
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

  @ApiOperation({
    summary: 'Gateway API: send an SMS',
    description: 'API key in x-api-key; a repeated clientRef answers the first message id.',
    security: [],
  })
  @ApiHeader({ name: 'x-api-key', required: true, description: 'SMS_API_KEY' })
  @ApiJson(200, SandboxSmsSentDto)
  @ApiProblems(400, [401, 'Invalid API key'], [404, 'The sandbox is off'])
  @Public()
  @Post('messages')
  @HttpCode(200)
  async send(@Headers('x-api-key') key: string | undefined, @Body() dto: SendSmsDto): Promise<{ messageId: string }> {
    const given = Buffer.from(key ?? '');
    if (given.length !== this.key.length || !timingSafeEqual(given, this.key))
      throw new Unauthorized('Invalid API key.');
    return { messageId: await this.messages.insertOnce(dto.clientRef, dto.phone, dto.text) };
  }

  @ApiOperation({
    summary: 'The messages the gateway accepted',
    description: 'Oldest first; optionally to one number.',
    security: [],
  })
  @ApiJson(200, [SandboxSmsDto])
  @ApiProblems(400, [404, 'The sandbox is off'])
  @Public()
  @Get('messages')
  list(@Query() q: ListSmsQuery): Promise<SandboxSms[]> {
    return this.messages.list(q.phone ?? null);
  }
}
