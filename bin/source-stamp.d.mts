/** The file, relative to the package root, in which the build records its sources' fingerprint. */
export const STAMP_FILE: string;
/** The fingerprint of src/ and the compiler settings under `root`. */
export function sourceStamp(root: string): string;
/** Whether `root`'s dist/ was built from its sources as they are now. */
export function distIsCurrent(root: string): boolean;
