"""The head and hair of a landmark doodle, drawn the ways people draw them (sketch2real.doodle uses these).

The face mesh stops at the hairline, but a person drawing a face often draws the whole head: one oval from
the chin over the top of the skull, with the hair on it or around it. And people rarely trace the hair's
outline only; they scribble it, draw spikes or curls, a zigzag fringe. Both can be drawn here from the
photo's own head + hair silhouette (`python -m sketch2real.landmarks` caches it), so the doodle still sits
where the photo's hair is. The released model trained on outlines and the face's own oval: the whole head
(sketch2real.doodle.SKULL_SHARE) and the other hair styles (HAIR_SHARE) made its figures worse when they
were measured (notes/06 section 5.9), so they are switched off. The styles:

    outline   the silhouette's edge beyond the face (sometimes a strand or two inside)
    zigzag    that edge with teeth
    scribble  a back-and-forth stroke filling the hair between the face and the edge
    spikes    short strokes standing out from the head to the edge
    curls     small loops along the hair

Coordinates are pixels of the 64x64 face; `p` is the face's landmarks [468, 2]; each function returns a list
of strokes ("line", points [K, 2], width factor), as the other parts in sketch2real.doodle_parts do.
"""
import numpy as np

from sketch2real.doodle_parts import EARS, FACE_OVAL, MOUTH_CORNERS, ellipse, part_of, spline

HAIR_STYLES = ("outline", "zigzag", "scribble", "spikes", "curls")
# How often each is drawn. The released faces model trained on outlines alone: with all five (0.3, 0.15, 0.2,
# 0.15, 0.2), continuing version 5 for 3 500 steps made the cartoon doodles' FD worse, not better (notes/06 §5.9).
HAIR_SHARE = (1.0, 0.0, 0.0, 0.0, 0.0)
RAYS = 96  # the hair is followed along this many rays from the face's centre


def skull_top(p, silhouette: np.ndarray | None, rng) -> float:
    """Where a drawn head's outline would pass over the top of the skull (y in pixels): under the top of
    the hair (from the silhouette, when it does not run off the picture), else a share of the face's
    height above the hairline."""
    oval = p[FACE_OVAL]
    hairline, chin = oval[:, 1].min(), oval[:, 1].max()
    guess = hairline - rng.uniform(0.12, 0.3) * (chin - hairline)
    if silhouette is not None:
        cx = int(np.clip(round(oval[:, 0].mean()), 1, silhouette.shape[1] - 2))
        column = (np.asarray(silhouette)[:, cx - 1:cx + 2] >= 128).any(1)
        top = int(np.argmax(column)) if column.any() else -1
        if top > 0:  # the hair's top is in the picture: the skull is a little under it
            guess = top + rng.uniform(0.1, 0.4) * max(0.0, hairline - top)
    return float(max(1.0, min(guess, hairline)))


def skull(p, silhouette: np.ndarray | None, rng) -> np.ndarray:
    """A closed outline of the whole head, [K, 2]: the face oval from temple to temple round the chin,
    then an elliptic arc over the top of the skull (skull_top)."""
    oval = spline(p[FACE_OVAL], closed=True)
    temple_y = (p[EARS[0][0]][1] + p[EARS[1][0]][1]) / 2   # the face oval's points above the ears
    below = oval[oval[:, 1] >= temple_y]
    if len(below) < 4:
        return oval
    left, right = below[np.argmin(below[:, 0])], below[np.argmax(below[:, 0])]
    centre = np.array([(left[0] + right[0]) / 2, temple_y])
    rx = max((right[0] - left[0]) / 2, 1.0)
    ry = max(temple_y - skull_top(p, silhouette, rng), 1.0)
    top = ellipse(centre, rx, ry, 180, 360)   # from the left temple, over the top, to the right one
    # The jaw from the right temple round the chin to the left one, in angle order about the centre.
    angle = np.arctan2(below[:, 1] - centre[1], below[:, 0] - centre[0])
    jaw = below[np.argsort(angle)]
    return spline(np.concatenate([top[::4], jaw[::3], top[:1]]), closed=True)


def hair_edge(p, oval: np.ndarray, silhouette: np.ndarray) -> tuple:
    """Where the head + hair silhouette ends beyond the face, along RAYS rays from the face's centre:
    (centre [2], ray directions [R, 2], the face's radius [R], the hair's radius [R], edge bool [R],
    hair bool [R]). `edge`: the hair's edge is in the picture there, above the mouth, and stands out from
    the face: an outline may be drawn. `hair`: those, and the rays upwards where the hair runs off the
    picture (r stops just inside it): hair may be drawn between the face and r."""
    sil = np.asarray(silhouette, dtype=np.float32) / 255
    size = sil.shape[0]
    centre = oval.mean(0)
    mouth_y = p[list(MOUTH_CORNERS)].mean(0)[1]
    angles = np.linspace(-np.pi, np.pi, RAYS, endpoint=False)
    ray = np.stack([np.cos(angles), np.sin(angles)], 1)
    # Where each ray leaves the face oval: the oval's own radius in that direction.
    d = oval - centre
    order = np.argsort(np.arctan2(d[:, 1], d[:, 0]))
    face_r = np.interp(angles, np.arctan2(d[:, 1], d[:, 0])[order], np.linalg.norm(d, axis=1)[order],
                       period=2 * np.pi)
    steps = np.arange(0, 1.6 * size, 0.5)
    xy = centre[None, None] + ray[:, None] * steps[None, :, None]          # [angles, steps, 2]
    inside = (xy >= 0).all(-1) & (xy <= size - 1).all(-1)
    ix = np.clip(np.round(xy).astype(int), 0, size - 1)
    person = sil[ix[..., 1], ix[..., 0]] >= 0.5
    out = (steps[None] > face_r[:, None]) & (~person | ~inside)
    first = np.where(out.any(1), out.argmax(1), len(steps) - 1)
    r = steps[first]
    at_edge = ~inside[np.arange(len(angles)), first]  # the silhouette runs off the picture: no outline
    r = np.convolve(np.concatenate([r[-2:], r, r[:2]]), np.ones(5) / 5, mode="valid")  # smooth it a little
    up = ray[:, 1] < -0.3
    r = np.where(at_edge & up, r - 1.5, r)   # hair running off the top: fill it to just inside the picture
    points = centre + ray * r[:, None]
    shown = (r > face_r + 1.5) & (points[:, 1] < mouth_y) & (points >= 1).all(1) & (points <= size - 2).all(1)
    return centre, ray, face_r, r, shown & ~at_edge, shown & (~at_edge | up)


def runs_of(valid: np.ndarray, r: np.ndarray) -> list:
    """Runs of consecutive valid rays (wrapping round), lists of indices; a jump in the hair's radius
    (a hole in the mask, a hand) also ends a run. Runs shorter than 4 rays are dropped."""
    if not valid.any():
        return []
    start = int(np.argmin(valid)) if not valid.all() else 0
    runs, run = [], []
    for i in (start + np.arange(len(valid))) % len(valid):
        if valid[i] and run and abs(r[i] - r[run[-1]]) < 3:
            run.append(i)
        else:
            runs.append(run)
            run = [i] if valid[i] else []
    runs.append(run)
    return [run for run in runs if len(run) >= 4]


def hair(p, oval: np.ndarray, silhouette: np.ndarray | None, rng, style: str | None = None) -> list:
    """The hair, in one of HAIR_STYLES (random when None), where the photo's hair is: between the face
    oval and the silhouette's edge."""
    if silhouette is None:
        return []
    if style is None:  # (one style alone takes nothing from rng: the doodles stay those of DOODLE_VERSION 1)
        share = np.asarray(HAIR_SHARE)
        style = HAIR_STYLES[int(share.argmax()) if share.max() == 1 else rng.choice(len(share), p=share)]
    elif style not in HAIR_STYLES:
        raise ValueError(f"hair style must be one of {HAIR_STYLES}, not {style!r}")
    centre, ray, face_r, r, edge, anywhere = hair_edge(p, oval, silhouette)
    where = edge if style in ("outline", "zigzag") else anywhere
    if not where.any():
        return []
    width = rng.uniform(0.9, 1.2)
    strokes = []
    for run in runs_of(where, r):
        run = np.asarray(run)
        outline = centre + ray[run] * r[run, None]
        if style == "outline":
            strokes.append(("line", spline(outline), width))
            if rng.random() < 0.3:  # a strand or two between the outline and the face
                for t in rng.uniform(0.35, 0.7, rng.integers(1, 3)):
                    mid = centre + ray[run] * (face_r[run] + t * (r[run] - face_r[run]))[:, None]
                    strokes.append(("line", part_of(spline(mid), rng.uniform(0, 0.4), rng.uniform(0.4, 0.8)), 0.8))
        elif style == "zigzag":
            every = int(rng.integers(2, 4))   # a tooth every 2 or 3 rays
            depth = np.minimum(rng.uniform(1.0, 2.5), 0.8 * (r[run] - face_r[run]))
            rr = r[run] - np.where(np.arange(len(run)) % (2 * every) < every, 0, depth)
            strokes.append(("line", centre + ray[run] * rr[:, None], width))
        elif style == "scribble":
            # back and forth between the face and the edge, a turn every ray or two
            turns = run[::int(rng.integers(1, 3))]
            rr = np.where(np.arange(len(turns)) % 2 == 0, face_r[turns] + 0.5, r[turns] - 0.3)
            rr = rr + rng.normal(0, 0.4, len(turns))
            strokes.append(("line", centre + ray[turns] * rr[:, None], 0.8 * width))
            if rng.random() < 0.5:
                strokes.append(("line", spline(outline), width))
        elif style == "spikes":
            for i in run[::int(rng.integers(3, 6))]:
                tip = r[i] + rng.uniform(-0.5, 1.5)
                side = np.array([-ray[i][1], ray[i][0]]) * rng.uniform(-1, 1)
                strokes.append(("line", np.stack([centre + ray[i] * (face_r[i] + 0.5),
                                                  centre + ray[i] * tip + side]), width))
        else:  # curls: small loops half way between the face and the edge
            for i in run[::int(rng.integers(2, 4))]:
                radius = float(np.clip((r[i] - face_r[i]) / 2, 0.9, 2.6))
                middle = centre + ray[i] * (r[i] - radius)
                start = rng.uniform(0, 360)
                strokes.append(("line", ellipse(middle, radius, radius * rng.uniform(0.8, 1.1), start,
                                                start + rng.uniform(280, 400)), 0.8 * width))
    return strokes
