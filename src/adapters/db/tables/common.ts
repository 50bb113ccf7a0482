import type { ColumnType, Generated } from 'kysely';

/** A `timestamptz` column: read as Date, written as Date or ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A `timestamptz` column with a database default. */
export type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
/** A `jsonb` column holding T. */
export type Json<T> = ColumnType<T, string, string>;
/** A `jsonb` column holding T, with a database default (`'{}'`). */
export type JsonWithDefault<T> = ColumnType<T, string | undefined, string>;
export type { Generated };
