import type { ColumnType } from 'kysely';

/** Column types shared by the tables of schema/. */

/** pg returns int8 as a string (it may exceed 2^53); repositories convert it exactly. */
export type Int8 = ColumnType<number | string, number, number>;

/** bigserial: generated on insert, read like Int8. */
export type SerialId = ColumnType<number | string, never, never>;

export type Timestamp = ColumnType<Date, Date | string, Date | string>;
