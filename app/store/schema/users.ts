import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { SerialId, Timestamp } from './columns.js';

/** Admin users, their sessions and the audit log, and the alerts mailed to them. */

export type UserRole = 'operator' | 'merchant';

export interface UsersTable {
  id: string;
  email: string;
  password_hash: string;
  role: UserRole;
  merchant_id: string | null;
  /** For merchant users: owner may change keys, accounts, Xero, settings and users; staff only reads. */
  merchant_role: Generated<MerchantRole>;
  disabled_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** No alert e-mails for this user (migration 20261205T0640). */
  alerts_opt_out: Generated<boolean>;
  /** Who invited them (migration 20261207T0618); null for users made otherwise, or before. */
  invited_by: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

export type MerchantRole = 'owner' | 'staff';

export interface UserLinksTable {
  token_hash: string;
  user_id: string;
  purpose: 'invite' | 'reset';
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface AuditLogTable {
  id: SerialId;
  merchant_id: string | null;
  user_id: string | null;
  user_email: string;
  action: string;
  detail: JSONColumnType<Record<string, string | number | boolean | null>, string | undefined, string>;
  at: Timestamp;
}

export interface SessionsTable {
  id_hash: string;
  user_id: string | null;
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  /** When the user last typed their password in this session (sign-in or step-up). */
  reauth_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface SetupTokensTable {
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface LoginAttemptsTable {
  key: string;
  window_start: Timestamp;
  count: number;
}

/** Something a person should know (migration 20261205T0640): mailed in the next digest. */
export interface AlertsTable {
  id: SerialId;
  merchant_id: string | null;
  kind: string;
  /** A message key and its parameters (i18n encodeMessage). */
  message: string;
  /** The user whose own action raised it: not told about it. */
  except_user_id: string | null;
  dedupe_key: string | null;
  created_at: Timestamp;
  mailed_at: Timestamp | null;
}

/** The outbox: one digest per recipient, sent once the SMTP server accepted it. */
export interface AlertMailsTable {
  id: SerialId;
  recipient: string;
  subject: string;
  body: string;
  created_at: Timestamp;
  sent_at: Timestamp | null;
  locked_until: Timestamp | null;
  attempts: Generated<number>;
  last_error: string | null;
}
