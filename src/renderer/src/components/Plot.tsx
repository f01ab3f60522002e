import Plotly, { type PlotlyHTMLElement } from 'plotly.js-dist-min';
import { useEffect, useRef } from 'react';

const DARK = {
  paper_bgcolor: 'rgba(0,0,0,0)',
  plot_bgcolor: '#0f1318',
  font: { color: '#dfe6ee', size: 11 },
  margin: { l: 48, r: 12, t: 28, b: 40 },
  xaxis: { gridcolor: '#2b3340', zerolinecolor: '#2b3340' },
  yaxis: { gridcolor: '#2b3340', zerolinecolor: '#2b3340' },
  legend: { orientation: 'h', y: -0.22 },
};

export function Plot({ data, layout, onClick, testId, height = 300 }: { data: unknown[]; layout: Record<string, unknown>; onClick?: (customdata: unknown) => void; testId?: string; height?: number }) {
  const el = useRef<HTMLDivElement>(null);
  const click = useRef(onClick);
  click.current = onClick;
  useEffect(() => {
    const node = el.current;
    if (!node) return;
    const merged = {
      ...DARK,
      ...layout,
      height,
      xaxis: { ...DARK.xaxis, ...((layout.xaxis as object) ?? {}) },
      yaxis: { ...DARK.yaxis, ...((layout.yaxis as object) ?? {}) },
    };
    let live = true;
    void Plotly.react(node, data, merged, { displaylogo: false, responsive: true, modeBarButtonsToRemove: ['lasso2d', 'select2d'] }).then((p: PlotlyHTMLElement) => {
      if (!live) return;
      p.removeAllListeners?.('plotly_click');
      p.on('plotly_click', (e) => {
        const cd = e.points[0]?.customdata;
        if (cd !== undefined) click.current?.(cd);
      });
    });
    return () => {
      live = false;
    };
  }, [data, layout, height]);
  useEffect(() => {
    const node = el.current;
    return () => {
      if (node) Plotly.purge(node);
    };
  }, []);
  return <div ref={el} className="plot" data-testid={testId} />;
}
