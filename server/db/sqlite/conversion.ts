// Values between Prisma's query interpreter and better-sqlite3: arguments in, rows out, and
// SQLite's errors as the kinds Prisma maps to its own codes (P2002 unique, P2003 foreign key...).
import { type ArgType, type ColumnType, ColumnTypeEnum, DriverAdapterError } from "@prisma/driver-adapter-utils";

/** Dates as the stock SQLite adapter stores them, so that both read the same files. */
export const sqliteDate = (date: Date) => date.toISOString().replace("Z", "+00:00");

export function toSqliteArg(arg: unknown, type: ArgType | undefined): unknown {
  if (arg === null || arg === undefined) return null;
  if (typeof arg === "boolean") return arg ? 1 : 0;
  if (arg instanceof Date) return sqliteDate(arg);
  if (typeof arg !== "string") return arg;
  switch (type?.scalarType) {
    case "int":
      return Number.parseInt(arg, 10);
    case "float":
    case "decimal":
      return Number.parseFloat(arg);
    case "bigint":
      return BigInt(arg);
    case "datetime":
      return sqliteDate(new Date(arg));
    case "bytes":
      return Buffer.from(arg, "base64");
    default:
      return arg;
  }
}

const DECLARED: Record<string, ColumnType> = {
  INTEGER: ColumnTypeEnum.Int32,
  INT: ColumnTypeEnum.Int32,
  BIGINT: ColumnTypeEnum.Int64,
  REAL: ColumnTypeEnum.Double,
  FLOAT: ColumnTypeEnum.Float,
  DOUBLE: ColumnTypeEnum.Double,
  DECIMAL: ColumnTypeEnum.Numeric,
  NUMERIC: ColumnTypeEnum.Double,
  TEXT: ColumnTypeEnum.Text,
  VARCHAR: ColumnTypeEnum.Text,
  DATETIME: ColumnTypeEnum.DateTime,
  TIMESTAMP: ColumnTypeEnum.DateTime,
  DATE: ColumnTypeEnum.Date,
  BOOLEAN: ColumnTypeEnum.Boolean,
  BLOB: ColumnTypeEnum.Bytes,
  JSONB: ColumnTypeEnum.Json,
};

/** A column's type from its declaration, or null for expressions (typed from their values). */
export function declaredColumnType(declared: string | null): ColumnType | null {
  return declared ? (DECLARED[declared.toUpperCase()] ?? null) : null;
}

function inferredType(value: unknown): ColumnType {
  switch (typeof value) {
    case "string":
      return ColumnTypeEnum.Text;
    case "bigint":
      return ColumnTypeEnum.Int64;
    case "number":
      return ColumnTypeEnum.UnknownNumber;
    case "boolean":
      return ColumnTypeEnum.Boolean;
    default:
      return value instanceof Uint8Array ? ColumnTypeEnum.Bytes : ColumnTypeEnum.Int32;
  }
}

/** Column types for a result: declared where the column has a declaration, else from the first non-null value. */
export function columnTypes(declared: readonly (ColumnType | null)[], rows: readonly unknown[][]): ColumnType[] {
  return declared.map((type, column) => {
    if (type !== null) return type;
    for (const row of rows) if (row[column] !== null) return inferredType(row[column]);
    return ColumnTypeEnum.Int32;
  });
}

/** A row as Prisma expects it: safe integers as numbers, epoch dates as ISO text. */
export function fromSqliteRow(row: unknown[], types: readonly ColumnType[]): unknown[] {
  for (let i = 0; i < row.length; i++) {
    const value = row[i];
    if (typeof value === "bigint") {
      if (types[i] === ColumnTypeEnum.DateTime) row[i] = new Date(Number(value)).toISOString();
      else row[i] = Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    } else if (typeof value === "number") {
      if (types[i] === ColumnTypeEnum.DateTime) row[i] = new Date(value).toISOString();
      else if ((types[i] === ColumnTypeEnum.Int32 || types[i] === ColumnTypeEnum.Int64) && !Number.isInteger(value))
        row[i] = Math.trunc(value);
    }
  }
  return row;
}

type SqliteError = Error & { code: string };
const isSqliteError = (error: unknown): error is SqliteError =>
  error instanceof Error && typeof (error as { code?: unknown }).code === "string";

const constraintFields = (message: string) =>
  message
    .split("constraint failed: ")
    .at(1)
    ?.split(", ")
    .map((column) => column.split(".").pop() as string);

/** SQLite's error as a DriverAdapterError of the kind Prisma understands; anything else unchanged. */
export function driverError(error: unknown): unknown {
  if (!isSqliteError(error)) return error;
  const base = { originalCode: error.code, originalMessage: error.message };
  const code = error.code;
  if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    const fields = constraintFields(error.message);
    return new DriverAdapterError({
      ...base,
      kind: "UniqueConstraintViolation",
      constraint: fields ? { fields } : undefined,
    });
  }
  if (code === "SQLITE_CONSTRAINT_NOTNULL") {
    const fields = constraintFields(error.message);
    return new DriverAdapterError({
      ...base,
      kind: "NullConstraintViolation",
      constraint: fields ? { fields } : undefined,
    });
  }
  if (code === "SQLITE_CONSTRAINT_FOREIGNKEY" || code === "SQLITE_CONSTRAINT_TRIGGER") {
    return new DriverAdapterError({ ...base, kind: "ForeignKeyConstraintViolation", constraint: { foreignKey: {} } });
  }
  if (code.startsWith("SQLITE_BUSY")) return new DriverAdapterError({ ...base, kind: "SocketTimeout" });
  if (error.message.startsWith("no such table")) {
    return new DriverAdapterError({ ...base, kind: "TableDoesNotExist", table: error.message.split(": ").at(1) });
  }
  return new DriverAdapterError({ ...base, kind: "sqlite", extendedCode: 1, message: error.message });
}
