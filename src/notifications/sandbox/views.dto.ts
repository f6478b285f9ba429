import { ApiProperty } from '@nestjs/swagger';

export class SandboxSmsSentDto {
  @ApiProperty({ format: 'uuid' }) messageId: string;
}

export class SandboxSmsDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() clientRef: string;
  @ApiProperty() phone: string;
  @ApiProperty() text: string;
  @ApiProperty({ format: 'date-time' }) at: Date;
}
