// The drawing's two layers and how they are shown. Ink (pen, eraser, uploaded drawings) is painted on white
// paper and becomes the model's sketch; colour (the colour pen, sketch_colour.mjs) is painted on a
// transparent layer and becomes its colour hints. The visible canvas shows white paper, then the colour,
// then the ink multiplied over it: white paper lets the colour through, black ink stays black.

// Every layer is WIDTH canvas pixels wide and as tall as the model's picture is, in proportion (256 x 256
// for the square models, 256 x 384 for the 128 x 192 people model). Strokes are stored in shares of the
// canvas: x of its width, y of its height, and a pen's width in shares of the canvas width.
export const WIDTH = 256;

export const isInk = (stroke) => stroke.tool !== 'colour' && stroke.tool !== 'colour-eraser';

/** One stroke onto a layer's context: ink strokes onto the ink layer, colour strokes onto the colour layer. */
function paintStroke(c, stroke) {
  const W = c.canvas.width, H = c.canvas.height;
  if (stroke.tool === 'image') {                  // an uploaded drawing (sketch_upload.mjs): ink on white paper
    const [x0, y0, x1, y1] = stroke.box;
    c.save();
    c.globalCompositeOperation = 'darken';        // its white paper keeps the ink beneath
    c.imageSmoothingEnabled = true;
    c.imageSmoothingQuality = 'high';
    c.drawImage(stroke.image, x0 * W, y0 * H, (x1 - x0) * W, (y1 - y0) * H);
    c.restore();
    return;
  }
  if (!isInk(stroke)) {
    // the colour eraser makes the colour layer transparent again; the colour pen paints over
    c.save();
    c.globalCompositeOperation = stroke.tool === 'colour-eraser' ? 'destination-out' : 'source-over';
    paintLine(c, stroke, stroke.tool === 'colour-eraser' ? '#000000' : stroke.colour);
    c.restore();
    return;
  }
  paintLine(c, stroke, stroke.tool === 'eraser' ? '#ffffff' : '#000000');
}

function paintLine(c, stroke, style) {
  const { points } = stroke;
  const W = c.canvas.width, H = c.canvas.height;
  const width = stroke.width * W;
  c.fillStyle = c.strokeStyle = style;
  if (points.length === 2) {                      // a dot
    c.beginPath();
    c.arc(points[0] * W, points[1] * H, width / 2, 0, 2 * Math.PI);
    c.fill();
    return;
  }
  c.lineWidth = width;
  c.lineCap = 'round';
  c.lineJoin = 'round';
  c.beginPath();
  c.moveTo(points[0] * W, points[1] * H);
  for (let i = 2; i < points.length; i += 2) c.lineTo(points[i] * W, points[i + 1] * H);
  c.stroke();
}

function layer(width, height) {
  const canvas = Object.assign(document.createElement('canvas'), { width, height });
  return canvas.getContext('2d', { willReadFrequently: true });
}

export class Layers {
  /** `visible`: the page's drawing canvas, which shows both layers; the layers take its size. */
  constructor(visible) {
    this.ctx = visible.getContext('2d');
    this.resize(visible.width, visible.height);
  }

  /** A new size for the visible canvas and every layer (a model of another shape); call render() next. */
  resize(width, height) {
    this.width = width;
    this.height = height;
    Object.assign(this.ctx.canvas, { width, height });
    this.inkBase = layer(width, height);    // the settled ink, on white paper
    this.colourBase = layer(width, height); // the settled colour, transparent where unpainted
    this.inkLive = layer(width, height);    // scratch: settled ink plus the ink stroke being drawn
    this.colourLive = layer(width, height); // scratch: settled colour plus the colour stroke being drawn
    this.ink = this.inkBase;                // what is shown now, per layer (the model reads these)
    this.colour = this.colourBase;
  }

  /** Both layers from the stroke list alone: every settled drawing goes through here, so it is exact. */
  render(strokes, current) {
    this.inkBase.fillStyle = '#ffffff';
    this.inkBase.fillRect(0, 0, this.width, this.height);
    this.colourBase.clearRect(0, 0, this.width, this.height);
    for (const stroke of strokes) paintStroke(isInk(stroke) ? this.inkBase : this.colourBase, stroke);
    this.show(current);
  }

  /** The settled drawing plus the stroke being drawn (`current`, or null), on the visible canvas. */
  show(current) {
    this.ink = this.inkBase;
    this.colour = this.colourBase;
    if (current) {
      const [settled, live] = isInk(current) ? [this.inkBase, this.inkLive] : [this.colourBase, this.colourLive];
      live.clearRect(0, 0, this.width, this.height);
      live.drawImage(settled.canvas, 0, 0);
      paintStroke(live, current);
      if (isInk(current)) this.ink = live; else this.colour = live;
    }
    const ctx = this.ctx;
    ctx.imageSmoothingEnabled = false;
    ctx.globalCompositeOperation = 'source-over';
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, this.width, this.height);
    ctx.drawImage(this.colour.canvas, 0, 0);
    ctx.globalCompositeOperation = 'multiply';
    ctx.drawImage(this.ink.canvas, 0, 0);
    ctx.globalCompositeOperation = 'source-over';
  }

  /** RGBA bytes of the ink or the colour layer as shown now. */
  pixels(which) {
    return this[which].getImageData(0, 0, this.width, this.height).data;
  }
}
