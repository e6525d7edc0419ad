// RTT chart of one location over the telemetry window (uPlot, loaded lazily with its CSS).

import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { alignSamples } from '../telemetry.ts';
import { PROBE_KINDS, type ProbeKind, type Sample } from '../types.ts';

const LABELS: Readonly<Record<ProbeKind, string>> = {
  upload_1B: 'upload 1 B',
  download_1B: 'download 1 B',
  upload_1MB: 'upload 1 MB',
  download_1MB: 'download 1 MB',
};
const COLORS: Readonly<Record<ProbeKind, string>> = {
  upload_1B: '#1f77b4',
  download_1B: '#2ca02c',
  upload_1MB: '#d62728',
  download_1MB: '#9467bd',
};

export function RttChart({ samples, title }: { readonly samples: readonly Sample[]; readonly title: string }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = holder.current;
    if (element === null) return;
    const width = (): number => Math.max(280, Math.floor(element.clientWidth));
    const data = alignSamples(samples, PROBE_KINDS);
    const chart = new uPlot(
      {
        title,
        width: width(),
        height: 220,
        // A logarithmic y scale (1 B and 1 MB RTTs differ a lot): uPlot.Scale.Distr.Logarithmic is an ambient const
        // enum, which isolatedModules cannot read, hence its value.
        // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
        scales: { y: { distr: 3 } },
        axes: [{}, { label: 'RTT (ms)', size: 60 }],
        series: [{}, ...PROBE_KINDS.map((p) => ({ label: LABELS[p], stroke: COLORS[p], width: 1.5, spanGaps: true, value: (_: uPlot, v: number | null) => (v === null ? '—' : `${v.toFixed(1)} ms`) }))],
      },
      data,
      element,
    );
    // Resized in the next frame and only when the width changed, so the observer never loops on its own change.
    let frame = 0;
    let drawnWidth = width();
    const resize = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        const next = width();
        if (next === drawnWidth) return;
        drawnWidth = next;
        chart.setSize({ width: next, height: 220 });
      });
    });
    resize.observe(element);
    return () => {
      cancelAnimationFrame(frame);
      resize.disconnect();
      chart.destroy();
    };
  }, [samples, title]);
  return <div class="rtt-chart" ref={holder} />;
}
