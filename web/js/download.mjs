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
