import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { selectRows } from '../../database/query-result';

export interface SandboxSms {
  id: string;
  clientRef: string;
  phone: string;
  text: string;
  at: Date;
}

/** The SMS sandbox's own table (`sandbox_sms_messages`). */
@Injectable()
export class SmsSandboxRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Keeps a message once per client reference; the id of the one kept. */
  async insertOnce(clientRef: string, phone: string, text: string): Promise<string> {
    const [row] = await selectRows<{ id: string }>(
      this.db,
      `WITH ins AS (
         INSERT INTO sandbox_sms_messages (client_ref, phone, text) VALUES ($1, $2, $3) ON CONFLICT (client_ref) DO NOTHING RETURNING id
       ) SELECT id FROM ins UNION ALL SELECT id FROM sandbox_sms_messages WHERE client_ref = $1 LIMIT 1`,
      [clientRef, phone, text],
    );
    return row.id;
  }

  list(phone: string | null): Promise<SandboxSms[]> {
    return selectRows<SandboxSms>(
      this.db,
      `SELECT id, client_ref AS "clientRef", phone, text, at FROM sandbox_sms_messages WHERE ($1::text IS NULL OR phone = $1) ORDER BY at, id`,
      [phone],
    );
  }
}
