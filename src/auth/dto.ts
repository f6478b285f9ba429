import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, Length, Matches, MaxLength, MinLength } from 'class-validator';

export const ID_NUMBER = /^\d{12}$/;
export const PHONE = /^(\+84|0)\d{9,10}$/;

/** One stored form per phone number: `+84912345678` and `0912345678` are the same number (and the same account). */
export function normalizePhone(value: string): string {
  const v = value.trim();
  return PHONE.test(v) && v.startsWith('+84') ? `0${v.slice(3)}` : v;
}
export const NormalizePhone = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normalizePhone(value) : value));

export class RegisterDto {
  @ApiProperty({ example: 'an.nguyen@example.vn' })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 8 })
  @IsString()
  @MinLength(8)
  @MaxLength(128)
  password: string;

  @ApiProperty({ example: 'Nguyễn Văn An' })
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'fullName must not be blank' })
  fullName: string;

  @ApiProperty({ description: 'National ID number (12 digits)', example: '001090001234' })
  @IsString()
  @Matches(ID_NUMBER, { message: 'idNumber must be 12 digits' })
  idNumber: string;

  @ApiProperty({ example: '0912345678' })
  @NormalizePhone()
  @IsString()
  @Matches(PHONE, { message: 'phone must be a Vietnamese phone number' })
  phone: string;

  @ApiPropertyOptional({ enum: ['vi', 'en'] })
  @IsOptional()
  @IsIn(['vi', 'en'])
  locale?: 'vi' | 'en';
}

export class LoginDto {
  @ApiProperty({ description: 'Email address or phone number' })
  @IsString()
  @Length(3, 254)
  email: string;

  @ApiProperty()
  @IsString()
  @Length(1, 128)
  password: string;

  @ApiPropertyOptional({
    description:
      'Staff with a second factor: the 6-digit code of the authenticator app (TOTP), or a single-use recovery code',
    example: '123456',
  })
  @IsOptional()
  @IsString()
  @Length(6, 16)
  otp?: string;
}

export class RefreshDto {
  @ApiProperty()
  @IsString()
  @Length(20, 200)
  refreshToken: string;
}

export class TokensDto {
  @ApiProperty() accessToken: string;
  @ApiProperty() refreshToken: string;
  @ApiProperty() expiresIn: number;
  @ApiProperty() role: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @Length(1, 128)
  currentPassword: string;

  @ApiProperty({ minLength: 8 })
  @IsString()
  @MinLength(8)
  @MaxLength(128)
  newPassword: string;
}

export class ForgotPasswordDto {
  @ApiProperty({ description: 'The email address of the account' })
  @IsEmail()
  @MaxLength(254)
  email: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The token from the emailed link' })
  @IsString()
  @Length(20, 200)
  token: string;

  @ApiProperty({ minLength: 8 })
  @IsString()
  @MinLength(8)
  @MaxLength(128)
  password: string;
}

/** Sign out everywhere takes no fields (an unknown one is refused, like everywhere else). */
export class LogoutAllDto {}

export class AcceptedDto {
  @ApiProperty() detail: string;
}
