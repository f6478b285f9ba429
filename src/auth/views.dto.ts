import { ApiProperty } from '@nestjs/swagger';

/** The account a registration created. */
export class RegisteredAccountDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'email' }) email: string;
  @ApiProperty() fullName: string;
}
