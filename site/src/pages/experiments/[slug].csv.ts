import type { APIRoute, GetStaticPaths } from "astro";
import { csvOf } from "../../../../dist/report/tables.js";
import { experiments } from "../../lib/data";

/** Each experiment's table as CSV, beside its page. */
export const getStaticPaths: GetStaticPaths = async () =>
  (await experiments()).map((experiment) => ({ params: { slug: experiment.slug }, props: { experiment } }));

export const GET: APIRoute = ({ props }) =>
  new Response(csvOf(props.experiment), { headers: { "Content-Type": "text/csv; charset=utf-8" } });
