/**
 * A step's zooms (image_zoom_in_tool): each crop as the model was sent it, numbered Z1, Z2, ... as its box on the
 * step's screenshot (and as in the HTML report, app/runs/report.ts); a refused zoom (a bad box, the per-step limit)
 * shows its reason. Every fact - the box on the screenshot, the crop, the error - is the engine's `zoom` event's.
 */
import type { StepView, ZoomView } from '../run-model';
import { useImageSrc, type RegionBox } from './Screenshot';

const zoomName = (i: number) => `Z${i + 1}`;

function describe(zoom: ZoomView, i: number): string {
  return `${zoomName(i)}: [${zoom.bbox.join(', ')}] of image ${zoom.imageIndex}${zoom.label ? ` (${zoom.label})` : ''}`;
}

/** The boxes of the step's zooms that are on this step's own screenshot. */
export function zoomBoxes(step: StepView): RegionBox[] {
  return step.zooms.flatMap((zoom, i) =>
    zoom.ok && zoom.on && zoom.on.step === step.step ? [{ box: zoom.on.box, label: zoomName(i), title: describe(zoom, i) }] : [],
  );
}

function Crop(props: { runId: string; zoom: ZoomView & { crop: NonNullable<ZoomView['crop']> }; alt: string }) {
  const { src, error } = useImageSrc(props.runId, props.zoom.crop);
  if (!src) return <span className="dim small"> {error ?? 'loading the crop...'}</span>;
  return <img className="zoom-crop" src={src} width={props.zoom.crop.width} height={props.zoom.crop.height} alt={props.alt} />;
}

export function ZoomList(props: { runId: string; step: StepView }) {
  const { step } = props;
  if (step.zooms.length === 0) return null;
  return (
    <div className="zoom-list">
      <strong className="small">Zooms before acting</strong>
      <ul className="zooms" aria-label={`Zooms, step ${step.step}`}>
        {step.zooms.map((zoom, i) => {
          const what = describe(zoom, i);
          if (!zoom.ok || !zoom.crop) {
            return (
              <li key={`${zoom.callId}-${i}`} className="note note-feedback">
                {what}: not done - {zoom.error ?? 'no crop was made'}
              </li>
            );
          }
          const elsewhere = zoom.on && zoom.on.step !== step.step ? ` on the screenshot of step ${zoom.on.step}` : '';
          return (
            <li key={`${zoom.callId}-${i}`}>
              {what}
              {elsewhere}
              <span className="dim">
                {' '}
                · sent {zoom.crop.width}x{zoom.crop.height}
              </span>
              <Crop runId={props.runId} zoom={{ ...zoom, crop: zoom.crop }} alt={`Zoom ${i + 1} of step ${step.step}`} />
            </li>
          );
        })}
      </ul>
    </div>
  );
}
