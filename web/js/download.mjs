// Save a canvas as a PNG file through a temporary link: the pages' "Download PNG" buttons.

/** Encode `canvas` as PNG and hand it to the browser as `filename`; `onError(message)` if encoding fails. */
export function downloadCanvas(canvas, filename, onError) {
  canvas.toBlob((blob) => {
    if (!blob) { onError('the picture could not be encoded as PNG'); return; }
    const link = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: filename });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);   // after the browser has started the download
  }, 'image/png');
}

/** A new canvas with `left` as it is and `right` scaled (smoothly) to the same size beside it, on white:
 *  the sketch page's drawing and its picture in one PNG. */
export function sideBySide(left, right) {
  const { width: w, height: h } = left;
  const out = Object.assign(document.createElement('canvas'), { width: 2 * w, height: h });
  const c = out.getContext('2d');
  c.fillStyle = '#ffffff';
  c.fillRect(0, 0, 2 * w, h);
  c.drawImage(left, 0, 0);
  c.imageSmoothingEnabled = true;
  c.imageSmoothingQuality = 'high';
  c.drawImage(right, w, 0, w, h);
  return out;
}
