// The sketch page's keyboard shortcuts: Ctrl+Z undo, Ctrl+Shift+Z or Ctrl+Y redo (Cmd on a Mac), and P, E,
// C, X for the pen, the eraser, the colour pen and the colour eraser, G for the guide. Typing in a text field is
// left alone.

const TOOL_KEYS = { p: 'pen', e: 'eraser', c: 'colour', x: 'colour-eraser' };

/** Listen for the shortcuts on `target` (the document): undo(), redo(), setTool(name) and toggleGuide() do
 *  the work. */
export function wireKeys(target, { undo, redo, setTool, toggleGuide }) {
  target.addEventListener('keydown', (event) => {
    if (event.target instanceof HTMLInputElement && event.target.type === 'text') return;
    const key = event.key.toLowerCase();
    if (event.ctrlKey || event.metaKey) {
      if (key === 'z' && !event.altKey) { event.preventDefault(); if (event.shiftKey) redo(); else undo(); }
      else if (key === 'y') { event.preventDefault(); redo(); }
    } else if (!event.altKey && Object.hasOwn(TOOL_KEYS, key)) {
      setTool(TOOL_KEYS[key]);
    } else if (!event.altKey && key === 'g') {
      toggleGuide();
    }
  });
}
