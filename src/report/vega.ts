import * as vega from "vega";
import * as vl from "vega-lite";

/** What every chart of the report shares: its size, font and how it is rendered. */

const width = 520;
const height = 280;

/** Renders a Vega-Lite spec to a static SVG that scales to its container. */
export async function svgOf(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    // Let the page size it: keep the viewBox, drop the fixed size.
    return svg.replace(
      /^<svg([^>]*?) width="[\d.]+" height="[\d.]+"/,
      '<svg$1 preserveAspectRatio="xMinYMin meet"',
    );
  } finally {
    view.finalize();
  }
}

export const base = {
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  width,
  height,
  background: "white",
  config: {
    font: "system-ui, sans-serif",
    axis: { labelFontSize: 12, titleFontSize: 13 },
    legend: { labelFontSize: 12 },
  },
} as const;
