/**
 * Who an instance is, for a job's identity and the ledger: its database's own identity
 * (`pg:<system_identifier>/<database>`), so `http://127.1:PORT`, `http://127.0.0.1:PORT`,
 * `localhost`, another tunnel port or another DB host alias are one instance. Without a
 * target database (the copy runs without one) the API URL stands in, as URL parsing
 * normalises it (`127.1` is `127.0.0.1`, the host lower-case, a default port dropped):
 * another host name for the same server is then another instance.
 */
import { ScanCopyError } from '../../core/errors.js';
import type { Queryable } from '../../platform/db.js';
import { selectDatabaseIdentity } from '../../platform/queries.js';

export async function instanceIdentity(apiUrl: string, db: Queryable | undefined): Promise<string> {
  if (!db) return urlIdentity(apiUrl);
  try {
    const { systemIdentifier, database } = await selectDatabaseIdentity(db);
    return `pg:${systemIdentifier}/${database}`;
  } catch (err) {
    // A role refused pg_control_system() (42501) has no other identity to give.
    if (err instanceof ScanCopyError && err.context.sqlState === '42501') return urlIdentity(apiUrl);
    throw err;
  }
}

/**
 * `api:https/host:port/path`: scheme, host (as URL parsing normalises it) and path. Written
 * without `://`, so that the ledger's binary pages never hold text a scan for URLs with
 * credentials in them would stop at.
 */
export function urlIdentity(apiUrl: string): string {
  const url = new URL(apiUrl);
  return `api:${url.protocol.replace(/:$/, '')}/${url.host}${url.pathname.replace(/\/+$/, '')}`;
}
