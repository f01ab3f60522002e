// plotly.js-dist-min ships no types; Hark uses newPlot, react, purge and the click event.
declare module 'plotly.js-dist-min' {
  export interface PlotlyHTMLElement extends HTMLElement {
    on(event: 'plotly_click', cb: (e: { points: { customdata?: unknown; curveNumber: number; pointIndex: number }[] }) => void): void;
    removeAllListeners?(event: string): void;
  }
  const Plotly: {
    newPlot(el: HTMLElement, data: unknown[], layout?: unknown, config?: unknown): Promise<PlotlyHTMLElement>;
    react(el: HTMLElement, data: unknown[], layout?: unknown, config?: unknown): Promise<PlotlyHTMLElement>;
    purge(el: HTMLElement): void;
  };
  export default Plotly;
}
