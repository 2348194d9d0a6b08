import { useEffect, useId, useRef, type ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** A horizontal reference line drawn across a chart (a published cut-off). */
export interface GuideLine {
  readonly value: number;
  readonly label: string;
  readonly color: string;
}

/** A shaded horizontal range of a chart (e.g. the severe blood-pressure range). */
export interface GuideBand {
  readonly from: number;
  readonly to: number;
  readonly color: string;
}

/** One data series of a chart: its name, colour and whether it is drawn as bars. */
export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  readonly values: ReadonlyArray<number | null>;
  readonly bars?: boolean;
  readonly dash?: readonly number[];
}

/** What {@link Chart} draws: x values (epoch seconds), series over them, guides and the y range. */
export interface ChartProps {
  /** The chart's accessible name and visible heading. */
  readonly title: string;
  /** A sentence saying what the chart shows, read to screen readers with the name. */
  readonly summary: string;
  readonly x: readonly number[];
  readonly series: readonly ChartSeries[];
  readonly yRange: readonly [number, number];
  readonly yLabel: string;
  readonly lines?: readonly GuideLine[];
  readonly bands?: readonly GuideBand[];
  /** The legend and source notes shown under the chart. */
  readonly legend: ReactNode;
  /** How the hidden data table writes an x value (a date or a date and time). */
  readonly formatX: (seconds: number) => string;
  readonly testId?: string;
}

const HEIGHT = 220;
const AXIS_INK = '#1b1f24';
const GRID = '#d5dbe3';

/** Draws the guide bands behind the series and the guide lines over them, each line labelled. */
function guidesPlugin(lines: readonly GuideLine[], bands: readonly GuideBand[]): uPlot.Plugin {
  return {
    hooks: {
      drawClear: [
        (u) => {
          const { ctx, bbox } = u;
          ctx.save();
          for (const band of bands) {
            const top = u.valToPos(Math.min(band.to, u.scales['y']?.max ?? band.to), 'y', true);
            const bottom = u.valToPos(Math.max(band.from, u.scales['y']?.min ?? band.from), 'y', true);
            ctx.fillStyle = band.color;
            ctx.fillRect(bbox.left, top, bbox.width, bottom - top);
          }
          ctx.restore();
        },
      ],
      draw: [
        (u) => {
          const { ctx, bbox } = u;
          ctx.save();
          ctx.lineWidth = 2 * uPlot.pxRatio;
          ctx.font = `${12 * uPlot.pxRatio}px system-ui, sans-serif`;
          ctx.textBaseline = 'bottom';
          ctx.textAlign = 'right';
          for (const line of lines) {
            const y = u.valToPos(line.value, 'y', true);
            ctx.strokeStyle = line.color;
            ctx.fillStyle = line.color;
            ctx.setLineDash([6 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
            ctx.beginPath();
            ctx.moveTo(bbox.left, y);
            ctx.lineTo(bbox.left + bbox.width, y);
            ctx.stroke();
            ctx.fillText(line.label, bbox.left + bbox.width - 4 * uPlot.pxRatio, y - 2 * uPlot.pxRatio);
          }
          ctx.restore();
        },
      ],
    },
  };
}

/**
 * A uPlot chart (canvas) made readable without sight: the drawing is an image named by the title
 * and summary, and every value is also in a visually hidden table under a caption. The canvas
 * follows its container's width, so it fits a 360 px phone.
 */
export function Chart(props: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const headingId = useId();
  const summaryId = useId();
  const { x, series, yRange, lines = [], bands = [] } = props;

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const bars = uPlot.paths.bars?.({ size: [0.6, 40] });
    const options: uPlot.Options = {
      width: Math.max(200, element.clientWidth),
      height: HEIGHT,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: true }, y: { range: [yRange[0], yRange[1]] } },
      axes: [
        { stroke: AXIS_INK, grid: { stroke: GRID }, ticks: { stroke: GRID } },
        { stroke: AXIS_INK, grid: { stroke: GRID }, ticks: { stroke: GRID }, label: props.yLabel, size: 50 },
      ],
      series: [
        {},
        ...series.map((s): uPlot.Series => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          ...(s.bars ? { fill: `${s.color}55`, paths: bars } : { points: { show: true, size: 7, fill: s.color } }),
          ...(s.dash ? { dash: [...s.dash] } : {}),
          spanGaps: true,
        })),
      ],
      plugins: [guidesPlugin(lines, bands)],
    };
    const data = [Array.from(x), ...series.map((s) => Array.from(s.values))] as uPlot.AlignedData;
    const plot = new uPlot(options, data, element);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, element.clientWidth), height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [x, series, yRange, lines, bands, props.yLabel]);

  return (
    <figure className="chart" aria-labelledby={headingId} data-testid={props.testId}>
      <figcaption>
        <h3 id={headingId}>{props.title}</h3>
        <p id={summaryId} className="chart-summary">
          {props.summary}
        </p>
      </figcaption>
      <div ref={host} className="chart-canvas" role="img" aria-labelledby={headingId} aria-describedby={summaryId} />
      <div className="chart-legend">{props.legend}</div>
      <div className="visually-hidden">
      <table>
        <caption>{props.title}: the values drawn</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            {series.map((s) => (
              <th scope="col" key={s.label}>
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {x.map((value, index) => (
            <tr key={`${value}-${index}`}>
              <th scope="row">{props.formatX(value)}</th>
              {series.map((s) => (
                <td key={s.label}>{s.values[index] ?? '–'}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </figure>
  );
}

/** A legend entry: a swatch (solid, dashed or shaded) and its text. */
export function LegendItem({ color, kind, children }: { color: string; kind: 'line' | 'dash' | 'band' | 'bar'; children: ReactNode }) {
  return (
    <li>
      <span className={`swatch swatch-${kind}`} style={{ borderColor: color, backgroundColor: kind === 'band' || kind === 'bar' ? color : undefined }} aria-hidden="true" />
      {children}
    </li>
  );
}
