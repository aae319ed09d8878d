/**
 * The screenshot the model saw, with proposed points and zoomed-into regions marked. Points and regions come from
 * the engine (Proposal.imagePoint, the zoom event's `on.box`, in the image's pixels, mapped by app/screen/geometry.ts
 * and app/agent/zoom.ts); here they are only scaled to the displayed size.
 */
import { useEffect, useState } from 'react';
import type { ImageRef, PointData } from '../../../app/contract';
import { useRequest } from '../useDeskpilot';

const cache = new Map<string, string>();

/** A data URL for a step image: inline on live events, else fetched once from the run folder. */
export function useImageSrc(runId: string, image: ImageRef | undefined): { src: string | null; error: string | null } {
  const request = useRequest();
  const key = image ? `${runId}/${image.file}` : '';
  const inline = image?.base64 ? `data:${image.mime};base64,${image.base64}` : null;
  const [state, setState] = useState<{ src: string | null; error: string | null }>({ src: inline ?? cache.get(key) ?? null, error: null });

  useEffect(() => {
    if (inline) {
      setState({ src: inline, error: null });
      return;
    }
    if (!image || !image.file) return;
    const cached = cache.get(key);
    if (cached) {
      setState({ src: cached, error: null });
      return;
    }
    let live = true;
    void request('runs.image', { runId, file: image.file }).then((answer) => {
      if (!live) return;
      if (answer.ok) {
        const src = `data:${answer.value.mime};base64,${answer.value.base64}`;
        cache.set(key, src);
        setState({ src, error: null });
      } else setState({ src: null, error: answer.error });
    });
    return () => {
      live = false;
    };
  }, [key, inline, image, request, runId]);
  return state;
}

export interface Marker {
  point: PointData;
  /** A swipe's end point: drawn as an arrow from `point`. */
  point2?: PointData;
  label: string;
}

/** A region the model zoomed into, in the screenshot's pixels, labelled as in the step's zoom list ("Z1"). */
export interface RegionBox {
  box: { x: number; y: number; width: number; height: number };
  label: string;
  title: string;
}

export function Screenshot(props: { runId: string; image: ImageRef; markers: Marker[]; boxes?: RegionBox[]; caption: string }) {
  const { src, error } = useImageSrc(props.runId, props.image);
  const { width, height } = props.image;
  const boxes = props.boxes ?? [];
  const stroke = Math.max(2, Math.max(width, height) / 300);
  return (
    <figure className="screenshot">
      <div className="screenshot-frame">
        {src ? (
          <img src={src} width={width} height={height} alt={props.caption} />
        ) : (
          <div className="screenshot-missing" role="img" aria-label={props.caption}>
            {error ?? 'loading screenshot...'}
          </div>
        )}
        {boxes.length > 0 ? (
          <svg className="zoom-boxes" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={`Zoomed regions on ${props.caption}`}>
            {boxes.map((b) => (
              <g key={b.label} className="zoom-box" data-label={b.label}>
                <title>{b.title}</title>
                <rect x={b.box.x} y={b.box.y} width={b.box.width} height={b.box.height} strokeWidth={stroke} />
                <text x={b.box.x} y={Math.max(stroke * 6, b.box.y - stroke * 2)} fontSize={stroke * 7} strokeWidth={stroke * 1.5}>
                  {b.label}
                </text>
              </g>
            ))}
          </svg>
        ) : null}
        {props.markers.some((m) => m.point2) ? (
          <svg className="swipes" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" aria-hidden="true">
            <defs>
              <marker id="swipe-head" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="4" markerHeight="4" orient="auto-start-reverse">
                <path d="M0 0L10 5L0 10z" fill="#ff2d55" />
              </marker>
            </defs>
            {props.markers.map((m) =>
              m.point2 ? (
                <line
                  key={m.label}
                  x1={m.point.x}
                  y1={m.point.y}
                  x2={m.point2.x}
                  y2={m.point2.y}
                  stroke="#ff2d55"
                  strokeWidth={Math.max(3, Math.max(width, height) / 150)}
                  markerEnd="url(#swipe-head)"
                >
                  <title>{m.label}</title>
                </line>
              ) : null,
            )}
          </svg>
        ) : null}
        {props.markers.map((m) => (
          <span
            key={m.label}
            className="marker"
            title={m.label}
            aria-hidden="true"
            style={{ left: `${(m.point.x / width) * 100}%`, top: `${(m.point.y / height) * 100}%` }}
          />
        ))}
      </div>
      <figcaption>
        {props.caption}
        <span className="dim"> ({width}x{height})</span>
      </figcaption>
    </figure>
  );
}

/** A 1:1 crop of the screenshot around one point, the point marked in the middle: where exactly the action lands. */
export function PointZoom(props: { runId: string; image: ImageRef; point: PointData; label: string }) {
  const { src } = useImageSrc(props.runId, props.image);
  if (!src) return null;
  return (
    <div className="zoom" role="img" aria-label={props.label}>
      <img
        src={src}
        alt=""
        width={props.image.width}
        height={props.image.height}
        style={{ left: `calc(50% - ${props.point.x}px)`, top: `calc(50% - ${props.point.y}px)` }}
      />
      <span className="marker" aria-hidden="true" />
    </div>
  );
}
