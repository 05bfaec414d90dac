"""Sketch to real: pix2pix turns a rough line drawing into a realistic face, shoe or handbag."""
