// Example drawings for the sketch page, designed by hand as stroke lists (not taken from any dataset).
//
// Coordinates are shares of the frame (x to the right, y down, 0..1); every stroke is
// {tool: 'pen', width, points: [x0, y0, x1, y1, ...]} with the width a share of the frame too, the same
// form the page stores what a person draws in. Faces sit like an aligned face photo (head from about
// x 0.2 to 0.8 and y 0.1 to 0.95, eyes near y 0.45, mouth near 0.75); shoes are side views with the toe
// to the right, filling the frame; handbags fill it too. People stand on the tall 2:3 frame (128 x 192 model
// pixels), head at the top and feet at the bottom, as in a full-length fashion photo; they are written in
// those pixels and turned into shares, so a round head stays round on the tall canvas.

const FACE_PEN = 1.5 / 64;       // 1.5 pixels of the 64-pixel faces model
const OBJECT_PEN = 2 / 128;      // 2 pixels of the 128-pixel shoes and bags model
const PEOPLE_W = 128, PEOPLE_H = 192;   // the people model's picture
const PERSON_PEN = 2 / PEOPLE_W; // 2 pixels of it (pen widths are shares of the canvas width)

const round = (v) => Math.round(v * 10000) / 10000;

/** Points on an ellipse from angle a0 to a1 (degrees; 0 is to the right, 90 straight down). */
function arc(cx, cy, rx, ry, a0 = 0, a1 = 360, steps = 48, wobble = null) {
  const points = [];
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const a = ((a0 + (a1 - a0) * t) * Math.PI) / 180;
    const r = wobble ? 1 + wobble(t) : 1;
    points.push(round(cx + rx * r * Math.cos(a)), round(cy + ry * r * Math.sin(a)));
  }
  return points;
}

/** A smooth line through the given [x, y] points (a Catmull-Rom spline), `steps` samples per piece. */
function curve(knots, steps = 8) {
  if (knots.length < 2) return knots.flat();
  const points = [];
  const at = (i) => knots[Math.max(0, Math.min(knots.length - 1, i))];
  for (let k = 0; k < knots.length - 1; k++) {
    const [p0, p1, p2, p3] = [at(k - 1), at(k), at(k + 1), at(k + 2)];
    for (let s = k === 0 ? 0 : 1; s <= steps; s++) {
      const t = s / steps, t2 = t * t, t3 = t2 * t;
      const point = [0, 1].map((d) => 0.5 * (2 * p1[d] + (-p0[d] + p2[d]) * t
        + (2 * p0[d] - 5 * p1[d] + 4 * p2[d] - p3[d]) * t2 + (-p0[d] + 3 * p1[d] - 3 * p2[d] + p3[d]) * t3));
      points.push(round(point[0]), round(point[1]));
    }
  }
  return points;
}

/** A straight polyline through [x, y] points. */
const line = (...knots) => knots.flat();

/** The same points mirrored left to right (for the second eye, ear, brow). */
function mirror(points) {
  return points.map((v, i) => (i % 2 === 0 ? round(1 - v) : v));
}

const pen = (width) => (points) => ({ tool: 'pen', width, points });

// ------------------------------------------------------------------ faces

function smilingFace() {
  const p = pen(FACE_PEN);
  const eye = arc(0.385, 0.46, 0.045, 0.03, 0, 360, 20);
  const brow = curve([[0.32, 0.40], [0.38, 0.375], [0.44, 0.395]]);
  const ear = arc(0.215, 0.53, 0.035, 0.065, 100, 260, 16);
  return [
    p(arc(0.5, 0.53, 0.29, 0.41, -90, 270, 64)),                                   // head
    p(curve([[0.22, 0.38], [0.3, 0.28], [0.4, 0.31], [0.5, 0.25], [0.6, 0.30], [0.7, 0.27], [0.78, 0.38]])),
    p(eye), p(mirror(eye)),
    p([0.385, 0.46]), p([0.615, 0.46]),                                            // pupils: dots
    p(brow), p(mirror(brow)),
    p(curve([[0.5, 0.50], [0.48, 0.60], [0.52, 0.62]])),                            // nose
    p(arc(0.5, 0.70, 0.11, 0.06, 20, 160, 20)),                                    // smile
    p(ear), p(mirror(ear)),
  ];
}

function longHairFace() {
  const p = pen(FACE_PEN);
  const upper = curve([[0.33, 0.465], [0.385, 0.435], [0.44, 0.46]]);
  const lower = curve([[0.33, 0.465], [0.385, 0.485], [0.44, 0.46]]);
  const brow = curve([[0.31, 0.395], [0.38, 0.38], [0.445, 0.39]]);
  return [
    p(arc(0.5, 0.54, 0.26, 0.40, -90, 270, 64)),                                   // head
    p(curve([[0.16, 0.96], [0.2, 0.7], [0.19, 0.45], [0.24, 0.2], [0.36, 0.09], [0.5, 0.06],
             [0.64, 0.09], [0.76, 0.2], [0.81, 0.45], [0.8, 0.7], [0.84, 0.96]])),  // hair, to the shoulders
    p(curve([[0.5, 0.08], [0.42, 0.17], [0.3, 0.27], [0.25, 0.36]])),              // the parting
    p(curve([[0.5, 0.08], [0.6, 0.18], [0.7, 0.27], [0.75, 0.36]])),
    p(upper), p(lower), p(mirror(upper)), p(mirror(lower)),
    p([0.385, 0.46]), p([0.615, 0.46]),
    p(brow), p(mirror(brow)),
    p(curve([[0.49, 0.52], [0.475, 0.6], [0.5, 0.63], [0.53, 0.61]])),              // nose
    p(curve([[0.41, 0.745], [0.5, 0.765], [0.59, 0.745]])),                         // mouth
    p(curve([[0.45, 0.79], [0.5, 0.80], [0.55, 0.79]])),                            // lower lip
  ];
}

function curlyGlassesFace() {
  const p = pen(FACE_PEN);
  const lens = arc(0.375, 0.465, 0.08, 0.065, 0, 360, 28);
  const curls = (t) => 0.05 * Math.abs(Math.sin(t * Math.PI * 9));              // nine bumps
  return [
    p(arc(0.5, 0.55, 0.3, 0.39, -90, 270, 64)),                                    // head
    p(arc(0.5, 0.52, 0.31, 0.41, 185, 355, 90, curls)),                            // curly hair on top
    p(lens), p(mirror(lens)),                                                      // glasses
    p(line([0.455, 0.46], [0.545, 0.46])),
    p(line([0.295, 0.455], [0.215, 0.44])), p(line([0.705, 0.455], [0.785, 0.44])),
    p([0.375, 0.47]), p([0.625, 0.47]),
    p(curve([[0.5, 0.53], [0.505, 0.61], [0.465, 0.635]])),                         // nose
    p(arc(0.5, 0.705, 0.13, 0.075, 10, 170, 24)),                                  // open grin
    p(line([0.372, 0.718], [0.628, 0.718])),
  ];
}

// ------------------------------------------------------------------ shoes (side view, toe to the right)

function sneaker() {
  const p = pen(OBJECT_PEN);
  return [
    p(curve([[0.05, 0.72], [0.09, 0.79], [0.5, 0.81], [0.88, 0.79], [0.95, 0.71]])),             // outsole
    p(curve([[0.05, 0.70], [0.5, 0.725], [0.94, 0.68]])),                                          // midsole
    p(curve([[0.05, 0.71], [0.04, 0.55], [0.06, 0.40], [0.12, 0.33], [0.21, 0.36], [0.31, 0.40],
             [0.36, 0.30], [0.42, 0.25], [0.47, 0.29], [0.53, 0.39], [0.7, 0.49], [0.85, 0.55],
             [0.93, 0.61], [0.95, 0.70]])),                                                         // upper
    p(line([0.39, 0.35], [0.45, 0.41])), p(line([0.45, 0.39], [0.51, 0.45])),                      // laces
    p(line([0.51, 0.43], [0.57, 0.49])), p(line([0.57, 0.47], [0.63, 0.52])),
    p(curve([[0.78, 0.715], [0.8, 0.6], [0.88, 0.56]])),                                            // toe cap
    p(curve([[0.18, 0.64], [0.38, 0.53], [0.62, 0.64]])),                                           // side stripe
    p(curve([[0.1, 0.36], [0.14, 0.5], [0.12, 0.7]])),                                              // heel tab
  ];
}

function pump() {
  const p = pen(OBJECT_PEN);
  return [
    p(line([0.12, 0.5], [0.14, 0.9], [0.19, 0.9], [0.2, 0.56])),                                   // heel
    p(curve([[0.12, 0.5], [0.3, 0.6], [0.5, 0.75], [0.7, 0.84], [0.9, 0.87], [0.96, 0.83]])),     // sole
    p(curve([[0.12, 0.5], [0.07, 0.36], [0.09, 0.22]])),                                            // heel counter
    p(curve([[0.09, 0.22], [0.3, 0.36], [0.48, 0.55]])),                                            // collar
    p(curve([[0.48, 0.55], [0.62, 0.57], [0.8, 0.67], [0.93, 0.75], [0.96, 0.83]])),               // vamp
    p(curve([[0.2, 0.56], [0.35, 0.66], [0.55, 0.78]])),                                            // insole edge
  ];
}

// ------------------------------------------------------------------ handbags

function tote() {
  const p = pen(OBJECT_PEN);
  return [
    p(line([0.12, 0.42], [0.88, 0.42], [0.93, 0.93], [0.07, 0.93], [0.12, 0.42])),                 // body
    p(arc(0.5, 0.42, 0.23, 0.32, 180, 360, 40)),                                                   // handles
    p(arc(0.5, 0.42, 0.17, 0.25, 180, 360, 40)),
    p(line([0.115, 0.48], [0.885, 0.48])),                                                         // top hem
    p(line([0.32, 0.6], [0.68, 0.6], [0.68, 0.78], [0.32, 0.78], [0.32, 0.6])),                    // pocket
  ];
}

function satchel() {
  const p = pen(OBJECT_PEN);
  return [
    p(curve([[0.14, 0.38], [0.86, 0.38]], 2).concat(arc(0.86, 0.42, 0.04, 0.04, -90, 0, 6),
      [0.9, 0.86], arc(0.86, 0.86, 0.04, 0.04, 0, 90, 6), [0.14, 0.9],
      arc(0.14, 0.86, 0.04, 0.04, 90, 180, 6), [0.1, 0.42], arc(0.14, 0.42, 0.04, 0.04, 180, 270, 6))),  // body
    p(curve([[0.1, 0.42], [0.3, 0.62], [0.5, 0.67], [0.7, 0.62], [0.9, 0.42]])),                   // flap
    p(line([0.46, 0.63], [0.54, 0.63], [0.54, 0.73], [0.46, 0.73], [0.46, 0.63])),                 // clasp
    p(arc(0.5, 0.38, 0.17, 0.24, 180, 360, 36)),                                                   // handle
  ];
}

// ------------------------------------------------------------------ people (128 x 192 pixels, facing us)

/** [x, y] knots in the people model's pixels -> a polyline in shares of its frame. */
const body = (...knots) => knots.flatMap(([x, y]) => [round(x / PEOPLE_W), round(y / PEOPLE_H)]);
/** The same knots mirrored left to right about the figure's middle (x = 64). */
const flip = (knots) => knots.map(([x, y]) => [PEOPLE_W - x, y]);
/** A round head of radius r pixels around (cx, cy), a little taller than wide, in shares. */
const head = (cx, cy, r) => arc(cx / PEOPLE_W, cy / PEOPLE_H, r / PEOPLE_W, (1.2 * r) / PEOPLE_H, -90, 270, 40);

/** A stick figure: round head, neck, shoulder line, spine, hip line, then arms and legs through the given
 *  [shoulder or hip, elbow or knee, hand or foot] knots, and a short stroke for each foot. */
function stickFigure(arms, legs) {
  const p = pen(PERSON_PEN);
  const feet = legs.map((leg) => {
    const [x, y] = leg[leg.length - 1];
    return p(body([x, y], [x + (x < 64 ? -8 : 8), y + 2]));
  });
  return [
    p(head(64, 20, 9)),
    p(body([64, 31], [64, 38])),                                                   // neck
    p(body([43, 40], [85, 40])),                                                   // shoulders
    p(body([64, 38], [64, 100])),                                                  // spine
    p(body([53, 100], [75, 100])),                                                 // hips
    ...arms.map((knots) => p(body(...knots))),
    ...legs.map((knots) => p(body(...knots))),
    ...feet,
  ];
}

const standing = () => stickFigure(
  [[[43, 40], [38, 70], [36, 98]], flip([[43, 40], [38, 70], [36, 98]])],
  [[[55, 100], [53, 142], [52, 182]], flip([[55, 100], [53, 142], [52, 182]])]);

const armsUp = () => stickFigure(
  [[[43, 40], [33, 24], [27, 8]], flip([[43, 40], [33, 24], [27, 8]])],
  [[[55, 100], [50, 142], [46, 182]], flip([[55, 100], [50, 142], [46, 182]])]);

const walking = () => stickFigure(
  [[[43, 40], [36, 68], [40, 96]], [[85, 40], [94, 66], [100, 90]]],            // one arm forward, one back
  [[[58, 100], [50, 140], [40, 180]], [[70, 100], [76, 140], [86, 178]]]);     // mid-stride

/** A woman in a dress, drawn as outlines: head, neck, the dress's silhouette, arms, legs and shoes. */
function dressOutline() {
  const p = pen(PERSON_PEN);
  const dress = [[60, 38], [46, 42], [44, 48], [50, 62], [54, 84], [40, 128]];
  const arm = [[[44, 48], [38, 72], [35, 98]], [[50, 62], [44, 78], [41, 98]], [[35, 98], [38, 103], [41, 98]]];
  const leg = [[[54, 128], [54, 178]], [[60, 128], [60, 178]], [[54, 178], [48, 184], [61, 184], [60, 178]]];
  return [
    p(head(64, 20, 9)),
    p(curve([[55, 14], [58, 8], [64, 6], [72, 9], [74, 18]].map(([x, y]) => [x / PEOPLE_W, y / PEOPLE_H]))),  // hair
    p(body([60, 31], [60, 38])), p(body(...flip([[60, 31], [60, 38]]))),          // neck
    p(body(...dress, ...flip(dress).reverse())),                                  // the dress, hem across
    p(body([52, 70], [76, 70])),                                                  // its waist seam
    ...arm.flatMap((knots) => [p(body(...knots)), p(body(...flip(knots)))]),
    ...leg.flatMap((knots) => [p(body(...knots)), p(body(...flip(knots)))]),
  ];
}

/** Examples per page model: a name for the button's label and the strokes. */
export const EXAMPLES = Object.freeze({
  faces: [
    { name: 'smiling face', strokes: smilingFace() },
    { name: 'long hair', strokes: longHairFace() },
    { name: 'curls and glasses', strokes: curlyGlassesFace() },
  ],
  shoes: [
    { name: 'sneaker', strokes: sneaker() },
    { name: 'pump', strokes: pump() },
  ],
  handbags: [
    { name: 'tote', strokes: tote() },
    { name: 'satchel', strokes: satchel() },
  ],
  people: [
    { name: 'stick figure, standing', strokes: standing() },
    { name: 'stick figure, arms up', strokes: armsUp() },
    { name: 'stick figure, walking', strokes: walking() },
    { name: 'outline of a woman in a dress', strokes: dressOutline() },
  ],
});
