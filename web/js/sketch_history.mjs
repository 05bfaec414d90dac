// The drawing's history: the stroke list now, and the lists before it (undo) and after it (redo). Each list
// is an array of frozen strokes, shared between steps, so a step costs an array, not a copy of the drawing.

export class History {
  constructor(max = 200) {
    this.max = max;               // undo steps kept
    this.strokes = [];            // the drawing now
    this.undoStack = [];
    this.redoStack = [];
  }

  get canUndo() { return this.undoStack.length > 0; }
  get canRedo() { return this.redoStack.length > 0; }

  /** `next` becomes the drawing, one undoable step; whatever could be redone is gone. */
  commit(next) {
    this.undoStack.push(this.strokes);
    if (this.undoStack.length > this.max) this.undoStack.shift();
    this.strokes = next;
    this.redoStack.length = 0;
  }

  /** One step back (false when there is none). */
  undo() {
    if (!this.canUndo) return false;
    this.redoStack.push(this.strokes);
    this.strokes = this.undoStack.pop();
    return true;
  }

  /** One step forward again (false when there is none). */
  redo() {
    if (!this.canRedo) return false;
    this.undoStack.push(this.strokes);
    this.strokes = this.redoStack.pop();
    return true;
  }

  /** Every step's stroke list through `mapLists` (lists -> lists of the same length, in order): e.g. the
   *  whole history moved to a canvas of another shape (sketch_frame.mjs's reframeLists). */
  remap(mapLists) {
    const all = mapLists([...this.undoStack, this.strokes, ...this.redoStack]);
    const u = this.undoStack.length;
    this.undoStack = all.slice(0, u);
    this.strokes = all[u];
    this.redoStack = all.slice(u + 1);
  }
}
