/**
 * A file cnnp could not write, for a reason in the file system rather than in cnnp: a full disk, a
 * read-only folder, a folder the user may not write. Its message is one line naming the path, the
 * reason and what to do; the CLI prints it as it is (never as an internal error).
 */
export class WriteError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const reasons: Record<string, string> = {
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is used up",
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EFBIG: "the file is too large for the file system",
};

/** What to do about each reason. */
const remedies: Record<string, string> = {
  ENOSPC: "free some space there, or give another folder",
  EDQUOT: "free some space there, or give another folder",
  EROFS: "give a folder on a writable disk",
  EACCES: "give a folder you may write to, or change its permissions",
  EPERM: "give a folder you may write to, or change its permissions",
  EFBIG: "give a folder on another file system",
};

/** The WriteError for `e` when it is such a file-system refusal, else undefined. */
export function writeErrorOf(path: string, e: unknown, flag = "--results"): WriteError | undefined {
  if (e instanceof WriteError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (!code || !(code in reasons)) return undefined;
  return new WriteError(
    path,
    code,
    `cannot write ${path}: ${reasons[code]} (${code}); ${remedies[code]} (${flag} DIR); nothing half-written was kept`,
  );
}
