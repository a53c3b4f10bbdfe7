import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ReportOptions } from "./report-input.js";

export interface SiteOptions extends ReportOptions {
  out?: string;
  base?: string;
  serve?: boolean;
  port?: string;
}

/** The Astro project shipped with cnnp. */
export const siteRoot = fileURLToPath(new URL("../../../site/", import.meta.url));

/** `cnnp site`'s flags, read: the port, the URL path, the folder to write and what it may not be. */
export interface SiteFlags {
  port: number;
  /** The URL path the site is served under, with a slash at each end (`/`, `/study/`). */
  base: string;
  /** `--out`, absolute. */
  out: string;
  /** What --out may never be nor hold: cnnp replaces the whole folder. */
  keep: { path: string; what: string }[];
}

/** `cnnp site`'s flags, or what is wrong with them. */
export function siteFlags(file: string, opts: SiteOptions): SiteFlags | string {
  const port = Number(opts.port ?? 4321);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return `--port takes a port number (got "${opts.port}")`;
  const base = `/${(opts.base ?? "/").replace(/^\/+|\/+$/g, "")}${opts.base && opts.base !== "/" ? "/" : ""}`;
  const keep = [
    { path: dirname(resolve(file)), what: "the pipeline's folder" },
    { path: opts.results ?? "results", what: "the results folder" },
    { path: siteRoot, what: "cnnp's own site project" },
    ...(opts.data ? [{ path: opts.data, what: "the data folder" }] : []),
    ...(opts.templates ? [{ path: opts.templates, what: "the templates folder" }] : []),
  ];
  return { port, base, out: resolve(opts.out ?? "site-out"), keep };
}
