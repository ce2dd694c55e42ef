// Where a visible signature goes, chosen on a preview of the page (issue #10, item 5). pdf.js renders
// the page; this module is its own chunk, loaded only when the signer asks for a visible signature,
// so the first screen stays small. Its worker comes from our origin (web/build.mjs).
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { GlobalWorkerOptions, getDocument, type PDFDocumentProxy, type PageViewport } from 'pdfjs-dist';
import { t } from '../i18n';
import { Loading, Notice, SelectField } from '../ui';

GlobalWorkerOptions.workerSrc = PDF_WORKER_URL;

/** [x1, y1, x2, y2] in PDF points, origin at the page's bottom-left (api.md `visible.rect`). */
export type PdfRect = [number, number, number, number];
/** The `visible` option of the sign route: a rectangle on a page, or an empty signature field. */
export type Placement = { page: number; rect: PdfRect } | { field: string };

/** A signature field of the document (pdf.js does not say whether it is already signed: the server does). */
interface SignatureField {
  name: string;
  page: number;
  rect: PdfRect;
}

/** What pdf.js tells of an annotation, as far as finding signature fields goes. */
interface Widget {
  subtype?: string;
  fieldType?: string;
  fieldName?: string;
  rect?: number[];
}

/** The area on the preview, in points from the page's top-left as shown (rotation applied). */
interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

const STEP = 5;
const MIN = 20;

/** Opens `file` with pdf.js and lets the signer place the signature on a page, or pick a signature field. */
export function PlacementPicker(props: { file: File; several: boolean; onChange: (p: Placement | null) => void }): JSX.Element {
  const [doc, setDoc] = useState<PDFDocumentProxy | null>(null);
  const [fields, setFields] = useState<SignatureField[]>([]);
  const [failed, setFailed] = useState(false);
  const [pageNo, setPageNo] = useState(1);
  const [mode, setMode] = useState<'draw' | 'field'>('draw');
  const [field, setField] = useState('');
  useEffect(() => {
    let open: PDFDocumentProxy | null = null;
    let gone = false;
    setDoc(null);
    setFailed(false);
    setFields([]);
    setPageNo(1);
    setMode('draw');
    props.onChange(null);
    (async () => {
      const task = getDocument({ data: new Uint8Array(await props.file.arrayBuffer()), isEvalSupported: false, useWasm: false, enableXfa: false });
      open = await task.promise;
      if (gone) return void open.destroy();
      const found: SignatureField[] = [];
      for (let n = 1; n <= Math.min(open.numPages, 100); n++) {
        const annotations = (await (await open.getPage(n)).getAnnotations()) as Widget[];
        for (const a of annotations) {
          if (a.subtype === 'Widget' && a.fieldType === 'Sig' && a.fieldName && a.rect) found.push({ name: a.fieldName, page: n, rect: a.rect as PdfRect });
        }
      }
      if (gone) return;
      setFields(found);
      setDoc(open);
    })().catch(() => !gone && setFailed(true));
    return () => {
      gone = true;
      void open?.destroy();
    };
  }, [props.file]);

  if (failed) return <Notice kind="error" focus={false}>{t('sign.previewBad')}</Notice>;
  if (!doc) return <Loading text={t('sign.previewLoading')} />;
  const chosenField = mode === 'field' ? fields.find((f) => f.name === field) : undefined;
  return (
    <div class="placement">
      {props.several ? <p class="hint">{t('sign.previewFirst')}</p> : null}
      {fields.length ? (
        <fieldset class="field">
          <legend>{t('sign.where')}</legend>
          {(['draw', 'field'] as const).map((m) => (
            <label key={m} class="check">
              <input
                type="radio"
                name="placement-mode"
                value={m}
                checked={mode === m}
                onChange={() => {
                  setMode(m);
                  if (m === 'field') {
                    setField(fields[0]!.name);
                    setPageNo(fields[0]!.page);
                    props.onChange({ field: fields[0]!.name });
                  } else props.onChange(null);
                }}
              />{' '}
              {m === 'draw' ? t('sign.whereDraw') : t('sign.whereField')}
            </label>
          ))}
        </fieldset>
      ) : null}
      {mode === 'field' ? (
        <SelectField
          label={t('sign.field')}
          value={field}
          onChange={(name) => {
            setField(name);
            setPageNo(fields.find((f) => f.name === name)!.page);
            props.onChange({ field: name });
          }}
          options={fields.map((f) => ({ value: f.name, data: true, label: `${f.name} (${f.page})` }))}
        />
      ) : doc.numPages > 1 ? (
        <SelectField label={t('sign.page')} value={String(pageNo)} onChange={(v) => setPageNo(Number(v))} options={Array.from({ length: doc.numPages }, (_, i) => ({ value: String(i + 1), label: `${i + 1} / ${doc.numPages}` }))} />
      ) : null}
      <PagePreview key={`${mode}-${pageNo}`} doc={doc} pageNo={pageNo} field={chosenField} onRect={mode === 'draw' ? (rect) => props.onChange({ page: pageNo, rect }) : undefined} />
    </div>
  );
}

/** One page drawn on a canvas, with the signature area over it (movable unless a field is shown). */
function PagePreview(props: { doc: PDFDocumentProxy; pageNo: number; field?: SignatureField; onRect?: (rect: PdfRect) => void }): JSX.Element {
  const canvas = useRef<HTMLCanvasElement>(null);
  const surface = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState<PageViewport | null>(null);
  const [box, setBox] = useState<Box | null>(null);
  const drag = useRef<{ kind: 'move' | 'draw'; x: number; y: number; from: Box } | null>(null);

  useEffect(() => {
    let cancel = () => {};
    let gone = false;
    (async () => {
      const page = await props.doc.getPage(props.pageNo);
      const points = page.getViewport({ scale: 1 });
      const scale = Math.min(2, Math.max(1, devicePixelRatio || 1) * 1.25);
      const drawn = page.getViewport({ scale });
      const c = canvas.current!;
      c.width = Math.floor(drawn.width);
      c.height = Math.floor(drawn.height);
      const task = page.render({ canvas: c, viewport: drawn });
      cancel = () => task.cancel();
      if (gone) return;
      setViewport(points);
      // The usual place: the bottom-right corner, 220 × 100 points (smaller on a small page).
      const w = Math.min(220, points.width * 0.4);
      const h = Math.min(100, points.height * 0.2);
      setBox({ x: points.width - w - 30, y: points.height - h - 60, w, h });
      await task.promise;
    })().catch(() => undefined); // a cancelled render (the page changed), or a page pdf.js cannot draw: it stays blank
    return () => {
      gone = true;
      cancel();
    };
  }, [props.doc, props.pageNo]);

  const rect = viewport && box ? toPdf(viewport, box) : null;
  useEffect(() => {
    if (rect && props.onRect) props.onRect(rect);
  }, [rect?.join(',')]);

  const clamp = (b: Box): Box => {
    const w = Math.max(MIN, Math.min(b.w, viewport!.width));
    const h = Math.max(MIN, Math.min(b.h, viewport!.height));
    return { w, h, x: Math.max(0, Math.min(b.x, viewport!.width - w)), y: Math.max(0, Math.min(b.y, viewport!.height - h)) };
  };
  /** The pointer's place on the page, in points from the top-left as shown. */
  const at = (e: PointerEvent) => {
    const r = surface.current!.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * viewport!.width, y: ((e.clientY - r.top) / r.height) * viewport!.height };
  };
  const shown = props.field && viewport ? fromPdf(viewport, props.field.rect) : props.onRect ? box : null;
  const percent = (b: Box) => {
    const { width, height } = viewport!;
    return { left: pct(b.x, width), top: pct(b.y, height), width: pct(b.w, width), height: pct(b.h, height) };
  };

  return (
    <div class="page-preview">
      <div
        ref={surface}
        class={`page-surface${props.onRect ? ' drawable' : ''}`}
        onPointerDown={(e) => {
          if (!viewport || !box || !props.onRect || e.button !== 0) return;
          const p = at(e);
          const inside = p.x >= box.x && p.x <= box.x + box.w && p.y >= box.y && p.y <= box.y + box.h;
          drag.current = { kind: inside ? 'move' : 'draw', ...p, from: box };
          surface.current!.setPointerCapture(e.pointerId);
          e.preventDefault();
        }}
        onPointerMove={(e) => {
          const d = drag.current;
          if (!d) return;
          const p = at(e);
          if (d.kind === 'move') setBox(clamp({ ...d.from, x: d.from.x + p.x - d.x, y: d.from.y + p.y - d.y }));
          else setBox(clamp({ x: Math.min(d.x, p.x), y: Math.min(d.y, p.y), w: Math.abs(p.x - d.x), h: Math.abs(p.y - d.y) }));
        }}
        onPointerUp={() => {
          drag.current = null;
        }}
      >
        <canvas ref={canvas} role="img" aria-label={t('sign.pageImage', { n: props.pageNo })} />
        {shown && viewport ? (
          props.onRect ? (
            <button
              type="button"
              class="signature-box"
              style={percent(shown)}
              aria-label={t('sign.box')}
              aria-describedby="placement-at"
              onKeyDown={(e) => {
                const dx = e.key === 'ArrowRight' ? STEP : e.key === 'ArrowLeft' ? -STEP : 0;
                const dy = e.key === 'ArrowDown' ? STEP : e.key === 'ArrowUp' ? -STEP : 0;
                if (!dx && !dy) return;
                e.preventDefault();
                // Shift resizes from the top-left corner; otherwise the area moves.
                setBox(clamp(e.shiftKey ? { ...shown, w: shown.w + dx, h: shown.h + dy } : { ...shown, x: shown.x + dx, y: shown.y + dy }));
              }}
            />
          ) : (
            <div class="signature-box field" style={percent(shown)} aria-hidden="true" />
          )
        ) : null}
      </div>
      {props.onRect && rect ? (
        <p id="placement-at" class="hint" aria-live="polite">
          {t('sign.boxAt', { page: props.pageNo, x: rect[0], y: rect[1], w: rect[2] - rect[0], h: rect[3] - rect[1] })}
        </p>
      ) : null}
      {props.onRect ? <p class="hint">{t('sign.boxHint')}</p> : null}
    </div>
  );
}

const pct = (v: number, of: number) => `${((v / of) * 100).toFixed(3)}%`;

/** The box as a PDF rectangle in whole points (the viewport undoes rotation and the crop box's offset). */
function toPdf(viewport: PageViewport, box: Box): PdfRect {
  const [ax, ay] = viewport.convertToPdfPoint(box.x, box.y) as [number, number];
  const [bx, by] = viewport.convertToPdfPoint(box.x + box.w, box.y + box.h) as [number, number];
  return [Math.round(Math.min(ax, bx)), Math.round(Math.min(ay, by)), Math.round(Math.max(ax, bx)), Math.round(Math.max(ay, by))];
}

/** A PDF rectangle as a box on the preview. */
function fromPdf(viewport: PageViewport, rect: PdfRect): Box {
  const [x1, y1, x2, y2] = viewport.convertToViewportRectangle(rect) as PdfRect;
  return { x: Math.min(x1, x2), y: Math.min(y1, y2), w: Math.abs(x2 - x1), h: Math.abs(y2 - y1) };
}
