import pg from 'pg';
import { isStoreError, type RootStoreErrorCode } from '../errors.js';

/** The code and the what-to-do message for a failure of the client or the server. */
export function describePostgresError(
  error: unknown,
  doing: string,
  label: string,
): { code: RootStoreErrorCode; message: string } {
  if (isStoreError(error)) return { code: error.code, message: error.message };
  const detail = error instanceof Error ? error.message : String(error);
  const cannot = `cannot ${doing} the root database ${label}`;
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof pg.DatabaseError) {
    const state = error.code ?? '';
    if (state === '28P01' || state === '28000') {
      return {
        code: 'ERR_ROOT_STORE_AUTH',
        message: `${cannot}: the server refused the credentials (${detail}); check the user and password in the URL (or PGUSER, PGPASSWORD)`,
      };
    }
    if (state === '3D000') {
      return {
        code: 'ERR_ROOT_STORE_OPEN',
        message: `${cannot}: ${detail}; create it (createdb -O <user> <name>) or fix the URL`,
      };
    }
    if (state === '25006') {
      return {
        code: 'ERR_ROOT_STORE_READONLY',
        message: `${cannot}: the server is read-only (${detail}); point the root at the primary`,
      };
    }
    if (state === '42501') {
      return {
        code: 'ERR_ROOT_STORE_READONLY',
        message: `${cannot}: permission denied (${detail}); grant the user the right to create and write the root's tables`,
      };
    }
    if (state.startsWith('08') || state.startsWith('57P') || state === '53300') {
      return {
        code: 'ERR_ROOT_STORE_UNREACHABLE',
        message: `${cannot}: the server is not available (${detail}); check that PostgreSQL runs and accepts connections`,
      };
    }
    return {
      code: 'ERR_ROOT_STORE_IO',
      message: `${cannot}: ${detail} (SQLSTATE ${state}); see the PostgreSQL server's log`,
    };
  }
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    return {
      code: 'ERR_ROOT_STORE_UNREACHABLE',
      message: `${cannot}: cannot reach the server (${detail}); check that PostgreSQL runs and that the host and port in the URL are right`,
    };
  }
  if (/timeout|terminated|ended|not queryable/i.test(detail)) {
    return {
      code: 'ERR_ROOT_STORE_UNREACHABLE',
      message: `${cannot}: the server did not answer (${detail}); check that PostgreSQL runs and is reachable`,
    };
  }
  return { code: 'ERR_ROOT_STORE_IO', message: `${cannot}: ${detail}` };
}
