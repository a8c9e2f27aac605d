/**
 * A requested scan the source database does not have: a failed item of copy and of download
 * alike (exit 1), said in the same words by both, while the other scans go on.
 */
export const NOT_ON_SOURCE = 'scan not found in the source database';
