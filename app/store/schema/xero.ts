import type { ColumnType, JSONColumnType } from 'kysely';
import type { Timestamp } from './columns.js';

/** Xero's connection: OAuth tokens and states, connect links, the call budget. */

export interface XeroCallsTable {
  key: string;
  minute_start: Timestamp;
  minute_used: ColumnType<number, number | undefined, number>;
  day_start: Timestamp;
  day_used: ColumnType<number, number | undefined, number>;
  blocked_until: Timestamp | null;
  /** The organisation rows' own calls per hour, newest first, and what they teach (migration 20261207T0551_xero_day_learned). */
  own_hours: ColumnType<number[], number[] | undefined, number[]>;
  own_hour: Timestamp | null;
  own_from: Timestamp | null;
  day_learned: number | null;
}

export interface XeroSlotsTable {
  id: string;
  key: string;
  lease_until: Timestamp;
}

/** One OAuth token set per merchant, sealed (app/security/secrets.ts); its row lock serialises refreshes. */
export interface XeroTokensTable {
  merchant_id: string;
  token_set_enc: string;
  expires_at: Timestamp;
  updated_at: Timestamp;
}

export interface XeroOAuthStatesTable {
  state_hash: string;
  session_hash: string;
  /** Null when the request was started from a connect link (connect_link_hash) instead of an admin user. */
  user_id: string | null;
  merchant_id: string | null;
  code_verifier_enc: string;
  nonce: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  pick_token_hash: string | null;
  pending_token_set_enc: string | null;
  pending_tenants: JSONColumnType<{ tenantId: string; tenantName: string; connectionId: string }[] | null, string | null, string | null>;
  connect_link_hash: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

export interface XeroConnectLinksTable {
  token_hash: string;
  merchant_id: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}
