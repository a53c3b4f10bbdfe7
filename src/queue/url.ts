import { readSmallFile } from "../store/store.js";

/** A `--queue` URL taken apart: how to connect, and how to show it without its credentials. */
export interface QueueTarget {
  connection: {
    host: string;
    port: number;
    username?: string;
    password?: string;
    db: number;
    /** For `rediss://`: TLS, with the certificate authorities of CNNP_REDIS_CA when set. */
    tls?: { ca?: string };
  };
  /** The URL with any user name and password replaced by `***`: the only form that is printed. */
  shown: string;
  /** Where the password came from, for messages: "in the --queue URL", "from CNNP_REDIS_PASSWORD"... */
  passwordFrom: string | null;
  /** Removes the credentials from any text (error messages of the Redis client). */
  redact(text: string): string;
}

/** Where else than the URL credentials and TLS settings can come from. */
export interface QueueCredentials {
  /** `--redis-password-file FILE`: a file whose first line is the password. */
  passwordFile?: string;
  /** The environment: CNNP_REDIS_USERNAME, CNNP_REDIS_PASSWORD, CNNP_REDIS_CA. */
  env?: NodeJS.ProcessEnv;
}

const form = "redis://[USER:PASSWORD@]HOST[:PORT][/DB] (or rediss:// for TLS)";

/** Replaces the `user:password@` part of anything that looks like a URL. */
export function redactUrl(text: string): string {
  return text.replace(/(\/\/)[^/@\s]*@/g, "$1***@");
}

/** The password in a file: its first line (a password file holds nothing else). */
function passwordIn(file: string): string | { error: string } {
  const read = readSmallFile(file, 64 * 1024);
  if ("missing" in read) return { error: `--redis-password-file: there is no file ${file}` };
  if ("why" in read) return { error: `--redis-password-file: cannot read ${file} (${read.why})` };
  const password = read.text.split(/\r?\n/)[0] ?? "";
  if (password === "")
    return { error: `--redis-password-file: ${file} is empty; its first line is the password` };
  return password;
}

/**
 * Parses `--queue`; a string is the reason it is not a Redis URL or the credentials cannot be read
 * (never the credentials themselves). The password is the URL's, else the first line of
 * `--redis-password-file`, else CNNP_REDIS_PASSWORD (the URL and a file both giving one is an
 * error); the user name the URL's, else CNNP_REDIS_USERNAME. For `rediss://`, CNNP_REDIS_CA names
 * a PEM file of the certificate authorities to trust (NODE_EXTRA_CA_CERTS works too).
 */
export function parseQueueUrl(text: string, creds: QueueCredentials = {}): QueueTarget | string {
  const env = creds.env ?? process.env;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return `--queue takes a Redis URL, ${form}; got "${redactUrl(text)}"`;
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:")
    return `--queue takes a Redis URL, ${form}; got the scheme "${u.protocol}"`;
  if (!u.hostname) return `--queue needs a host: ${form}`;
  const port = u.port === "" ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, "");
  const db = dbText === "" ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0)
    return `--queue: the database after the host must be a number such as /0; got "/${dbText}"`;
  const inUrl = decodeURIComponent(u.password) || undefined;
  let password = inUrl;
  let passwordFrom: string | null = inUrl ? "in the --queue URL" : null;
  if (creds.passwordFile !== undefined) {
    if (inUrl)
      return "--queue's URL has a password and --redis-password-file gives one: give it one way (the file keeps it out of `ps`)";
    const p = passwordIn(creds.passwordFile);
    if (typeof p !== "string") return p.error;
    password = p;
    passwordFrom = `in --redis-password-file ${creds.passwordFile}`;
  } else if (!inUrl && env.CNNP_REDIS_PASSWORD) {
    password = env.CNNP_REDIS_PASSWORD;
    passwordFrom = "from CNNP_REDIS_PASSWORD";
  }
  const username = decodeURIComponent(u.username) || env.CNNP_REDIS_USERNAME || undefined;
  let tls: { ca?: string } | undefined;
  if (u.protocol === "rediss:") {
    tls = {};
    const caFile = env.CNNP_REDIS_CA;
    if (caFile) {
      const read = readSmallFile(caFile, 1024 * 1024);
      if (!("text" in read))
        return `CNNP_REDIS_CA: cannot read the certificate file ${caFile} (${"why" in read ? read.why : "there is no such file"})`;
      tls.ca = read.text;
    }
  }
  // The password, raw and percent-encoded (very short ones would blank out ordinary letters: the
  // Redis client never echoes a password anyway, so those rely on the URL rule alone).
  const secrets = [...new Set([password, u.password, password && encodeURIComponent(password)])]
    .filter((s): s is string => (s?.length ?? 0) >= 3)
    .sort((a, b) => b.length - a.length);
  const shown = `${u.protocol}//${u.username || u.password ? "***@" : ""}${u.host}${db > 0 ? `/${db}` : ""}`;
  return {
    connection: {
      host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
      port,
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      db,
      ...(tls ? { tls } : {}),
    },
    shown,
    passwordFrom,
    redact: (s) => {
      let out = redactUrl(s);
      for (const secret of secrets) out = out.split(secret).join("***");
      return out;
    },
  };
}
