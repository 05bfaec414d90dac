"""ganlab: the small shared toolkit behind every project in this repository.

Each project (mnist_gan, cifar10_gan, sketch2real) keeps its own models and training loop,
and calls into here for the plumbing they all need:

    data        finding and loading datasets, holding them as one tensor on the device
    device      picking cpu/cuda, seeding, autocast
    checkpoint  atomic checkpoints with RNG state, released weights in safetensors
    training    the NaN guard, a metrics log that survives a resume, the progress bar
    metrics     Fréchet distance between two sets of features
    plotting    sample grids and loss curves
    export      ONNX export with an onnxruntime parity check
"""
