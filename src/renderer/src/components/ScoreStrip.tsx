// The clip's score against its section's normal and anomalous test scores and the threshold.
export function ScoreStrip({ score, normals, anomalies, threshold }: { score: number | null; normals: ArrayLike<number>; anomalies: ArrayLike<number>; threshold: number | null }) {
  const all = [...Array.from(normals), ...Array.from(anomalies), ...(score !== null ? [score] : []), ...(threshold !== null ? [threshold] : [])];
  if (all.length === 0) return null;
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi === lo) {
    lo -= 1;
    hi += 1;
  }
  const W = 560;
  const H = 70;
  const x = (v: number) => 10 + ((v - lo) / (hi - lo)) * (W - 20);
  const bins = 40;
  const hist = (vals: ArrayLike<number>) => {
    const h = new Array<number>(bins).fill(0);
    for (const v of Array.from(vals)) h[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]++;
    return h;
  };
  const hn = hist(normals);
  const ha = hist(anomalies);
  const top = Math.max(1, ...hn, ...ha);
  const bw = (W - 20) / bins;
  return (
    <svg className="score-strip" width={W} height={H + 18} data-testid="score-strip" role="img" aria-label="score distribution">
      {hn.map((n, i) => (
        <rect key={`n${i}`} x={10 + i * bw} y={H - (n / top) * (H - 10)} width={bw - 1} height={(n / top) * (H - 10)} fill="#4fb3ff" opacity={0.55} />
      ))}
      {ha.map((n, i) => (
        <rect key={`a${i}`} x={10 + i * bw} y={H - (n / top) * (H - 10)} width={bw - 1} height={(n / top) * (H - 10)} fill="#ff6b6b" opacity={0.55} />
      ))}
      {threshold !== null && <line x1={x(threshold)} x2={x(threshold)} y1={4} y2={H} stroke="#f2c14e" strokeDasharray="4 3" />}
      {score !== null && (
        <g>
          <line x1={x(score)} x2={x(score)} y1={0} y2={H} stroke="white" strokeWidth={2} />
          <text x={x(score)} y={H + 14} fill="white" fontSize={11} textAnchor="middle">
            this clip
          </text>
        </g>
      )}
      <line x1={10} x2={W - 10} y1={H} y2={H} stroke="#555" />
      <text x={10} y={H + 14} fill="#8b97a7" fontSize={10}>
        {lo.toPrecision(3)}
      </text>
      <text x={W - 10} y={H + 14} fill="#8b97a7" fontSize={10} textAnchor="end">
        {hi.toPrecision(3)}
      </text>
    </svg>
  );
}
