/** A `--queue` URL taken apart: how to connect, and how to show it without its credentials. */
export interface QueueTarget {
  connection: {
    host: string;
    port: number;
    username?: string;
    password?: string;
    db: number;
    tls?: Record<string, never>;
  };
  /** The URL with any user name and password replaced by `***`: the only form that is printed. */
  shown: string;
  /** Removes the URL's credentials from any text (error messages of the Redis client). */
  redact(text: string): string;
}

const form = "redis://[USER:PASSWORD@]HOST[:PORT][/DB] (or rediss:// for TLS)";

/** Replaces the `user:password@` part of anything that looks like a URL. */
export function redactUrl(text: string): string {
  return text.replace(/(\/\/)[^/@\s]*@/g, "$1***@");
}

/** Parses `--queue`; a string is the reason it is not a Redis URL (credentials never included). */
export function parseQueueUrl(text: string): QueueTarget | string {
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
  const username = decodeURIComponent(u.username) || undefined;
  const password = decodeURIComponent(u.password) || undefined;
  // The password, raw and percent-encoded (very short ones would blank out ordinary letters: the
  // Redis client never echoes a password anyway, so those rely on the URL rule alone).
  const secrets = [...new Set([password, u.password])].filter((s): s is string => (s?.length ?? 0) >= 3);
  const shown = `${u.protocol}//${username || password ? "***@" : ""}${u.host}${db > 0 ? `/${db}` : ""}`;
  return {
    connection: {
      host: u.hostname,
      port,
      username,
      password,
      db,
      ...(u.protocol === "rediss:" ? { tls: {} } : {}),
    },
    shown,
    redact: (s) => {
      let out = redactUrl(s);
      for (const secret of secrets) out = out.split(secret).join("***");
      return out;
    },
  };
}
